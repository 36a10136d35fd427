"""The seed's whole flow in a real Chromium on a real ``ccsync demo`` (both emulators included).

Admin: sign in, fill the OAuth settings, Sign In through the emulator's login and consent pages,
change the Sync Settings, ask for a Preview, Sync Now: the first run would create more than 100
records, so it stops at its Preview and the Sync window says so; Review and confirm it, open a
count, download the CSV, read the Debug Log (no secret in it), Revoke Access. Standard user:
settings → 403. No page answers an error, logs a console error or scrolls sideways.

A full-page screenshot of each page goes to ``artifacts/screenshots/`` (named in flow order);
with ``UPDATE_DOCS_SCREENSHOTS=1`` the README's ones (``DOCS_SHOTS``) also go to
``docs/screenshots/``:

    UPDATE_DOCS_SCREENSHOTS=1 .venv/bin/pytest -p no:cacheprovider tests/e2e/test_seed_flow.py
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from support.browser import launch_chromium
from support.processes import Proc, start_ccsync

pytestmark = [
    pytest.mark.browser,
    # start_ccsync leaves its log file handle to the garbage collector (tests/support).
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <_io.FileIO:pytest.PytestUnraisableExceptionWarning"
    ),
]

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
DOCS = ROOT / "docs" / "screenshots"
# The pages the README shows, in flow order (the other screenshots are named after the one they
# follow: 02a-… comes after 02-…).
DOCS_SHOTS = (
    "01-sync-window",
    "02-sync-settings",
    "03-first-run-banner",
    "04-preview",
    "05-sync-log",
    "06-debug-log",
)
# More than 100 records to create in Vtiger (the CC account's own contacts): the first run stops
# at its Preview, as it does in the default demo (200).
CONTACTS = 120
SECRETS = ("ccsync-demo-secret", "demoAccessKey0123", "emulator-pass-1", "demo-password-1")
RUN_TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Proc, dict[str, object]]]:
    """``ccsync demo`` as a subprocess, healthy, with what it printed in demo.json."""
    tmp = tmp_path_factory.mktemp("demo")
    data = tmp / "data"
    proc = start_ccsync(
        ["demo", "--data-dir", str(data), "--contacts", str(CONTACTS)],
        tmp,
        health_path="/healthz",
        name="demo",
    )
    info = json.loads((data / "demo.json").read_text())
    try:
        yield proc, info
    finally:
        proc.stop()
    assert proc.popen.returncode == 0, proc.log()
    for url in (info["cc_url"], info["vtiger_url"]):
        assert_gone(str(url))


def assert_gone(url: str, timeout: float = 15) -> None:
    """The demo stopped its emulator: nothing answers at ``url`` any more."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx2.get(url + "/_emulator/health", timeout=1)
        except httpx2.TransportError:
            return
        time.sleep(0.1)  # polling the port until the process has gone
    raise AssertionError(f"{url} still answers after the demo stopped")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright."""
    with sync_playwright() as p:
        chromium = launch_chromium(p)
        yield chromium
        chromium.close()


def shot(page: Page, name: str) -> None:
    """Save a full-page screenshot (and a copy for the README when it is one of its own and
    ``UPDATE_DOCS_SCREENSHOTS=1``); the page must not scroll sideways."""
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{name}: the page is {overflow}px wider than the window"
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if name in DOCS_SHOTS and os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS / f"{name}.png")


def watch(page: Page) -> list[str]:
    """What goes wrong on ``page`` from now on: console errors, uncaught exceptions, and
    answers of 500 or more (the test asserts the list stays empty)."""
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"{m.text} ({m.location['url']} on {page.url})")
            if m.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 500 else None,
    )
    return problems


def card(page: Page, connector: int) -> Locator:
    """One connector's line of the Sync window."""
    return page.locator(f'article[aria-labelledby="c{connector}-name"]')


def sign_in(page: Page, base: str, user: str, password: str) -> None:
    """The ccsync login form."""
    page.goto(f"{base}/login")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def fill_oauth(page: Page, info: dict[str, object]) -> None:
    """Every field of the OAuth Settings form, as an admin copies them from the CC portal."""
    cc = str(info["cc_url"])
    page.get_by_label("Client ID (API Key)").fill("ccsync-demo-client")
    page.get_by_label("Client Secret").fill("ccsync-demo-secret")
    page.get_by_label("Auth URL").fill(f"{cc}/oauth2/default/v1/authorize")
    page.get_by_label("Token URL").fill(f"{cc}/oauth2/default/v1/token")
    page.get_by_label("Revoke URL (optional)").fill(f"{cc}/oauth2/default/v1/revoke")
    page.get_by_label("API base URL").fill(f"{cc}/v3")
    page.get_by_label("Scopes").fill("contact_data offline_access")
    page.get_by_label("Use PKCE").select_option("auto")


def runs_of(page: Page, base: str) -> list[dict[str, object]]:
    """The connector's runs through the JSON API (same browser session)."""
    answer = page.request.get(f"{base}/api/connectors/1/runs")
    assert answer.ok
    runs: list[dict[str, object]] = answer.json()
    return runs


def run_ended(page: Page, base: str, before: int) -> dict[str, object]:
    """Wait until the connector has more than ``before`` runs and the newest has ended."""
    deadline = time.monotonic() + RUN_TIMEOUT_MS / 1000
    while True:
        runs = runs_of(page, base)
        if len(runs) > before and runs[0]["status"] != "running":
            return runs[0]
        assert time.monotonic() < deadline, "the run did not end"
        page.wait_for_timeout(250)  # polling the run list, not waiting for a server


def sync_now(page: Page, base: str) -> str:
    """Click Sync Now on the Sync window and wait until that run ended; returns its status."""
    before = len(runs_of(page, base))
    page.goto(f"{base}/")
    card(page, 1).get_by_role("button", name="Sync Now").click()
    runs = [run_ended(page, base, before)]
    # The live status line (htmx polling) ends on the run's outcome.
    status = str(runs[0]["status"])
    said = "a Preview (planned, nothing written)" if status == "preview" else status
    expect(page.locator("#status-1")).to_contain_text(f"Last run: {said}")
    return str(runs[0]["status"])


def admin_flow(page: Page, base: str, info: dict[str, object]) -> None:
    """The seed flow as the demo admin."""
    sign_in(page, base, str(info["admin"]), str(info["admin_password"]))
    expect(page.get_by_role("heading", name="User level Connectors")).to_be_visible()
    page.goto(f"{base}/connectors/1/oauth")
    fill_oauth(page, info)
    shot(page, "00a-oauth-settings")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("OAuth settings saved.")).to_be_visible()

    card(page, 1).get_by_role("link", name="Sign In").click()
    logins = info["cc_logins"]
    assert isinstance(logins, list)
    page.get_by_label("Username").fill(logins[0]["login"])
    page.get_by_label("Password").fill(logins[0]["password"])
    shot(page, "00b-cc-login")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Allow Access")).to_be_visible()
    shot(page, "00c-cc-consent")
    page.get_by_role("button", name="Allow Access").click()
    page.wait_for_url(f"{base}/")
    expect(page.get_by_text("Constant Contact is connected.")).to_be_visible()
    expect(card(page, 1).locator(".state.connected")).to_have_text("Connected")
    shot(page, "01-sync-window")

    card(page, 1).get_by_role("link", name="Settings").click()
    page.get_by_label("Debug Mode", exact=False).check()
    page.get_by_label("Background Sync Frequency").select_option("60m")
    page.get_by_label("Sync Direction").select_option("both")
    shot(page, "02-sync-settings")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Sync settings saved.")).to_be_visible()

    preview_flow(page, base)
    first_run_flow(page, base)
    assert sync_now(page, base) == "succeeded"  # a quiet second run


def preview_flow(page: Page, base: str) -> None:
    """Preview (sync rule P4): the plan and the first-sync matching report before any write."""
    page.goto(f"{base}/connectors/1/log")
    page.get_by_role("link", name="Preview").click()
    page.get_by_role("button", name=re.compile("^Compute the preview")).click()
    expect(page.get_by_text("Planned in Constant Contact")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(page.get_by_role("heading", name=re.compile("Planned actions"))).to_be_visible()
    shot(page, "02a-preview-asked-for")


def first_run_flow(page: Page, base: str) -> None:
    """Sync Now: the first run would create more than 100 records, so it stops at its Preview;
    the Sync window says so and links to it; Confirm runs it."""
    assert sync_now(page, base) == "preview"
    banner = card(page, 1).locator(".banner")
    expect(banner).to_have_text(
        re.compile(
            r"First sync stopped at its Preview: \d+ creates, \d+ overwrites — Review and confirm"
        )
    )
    creates = int(re.findall(r"(\d+) creates", banner.inner_text())[0])
    assert creates > 100
    shot(page, "03-first-run-banner")

    banner.get_by_role("link", name="Review and confirm").click()
    page.wait_for_url(f"{base}/connectors/1/preview")
    expect(page.get_by_role("button", name="Confirm first run")).to_be_visible()
    expect(page.get_by_role("button", name="Discard")).to_be_visible()
    expect(page.get_by_text("a run that stopped at its Preview")).to_be_visible()
    for side in ("Constant Contact", "Vtiger CRM"):
        expect(page.get_by_text(f"Planned in {side}")).to_be_visible()
    shot(page, "03a-preview-all")
    # The overwrites, on both sides, with what each changes.
    page.get_by_label("Action", exact=True).select_option("updated")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text(re.compile(r"Actions 1–\d+ of \d+"))).to_be_visible()
    rows = page.locator("table[aria-describedby=plan-range] tbody tr")
    for side in ("Constant Contact", "Vtiger CRM"):
        expect(rows.filter(has_text=side).first).to_be_visible()
    expect(rows.filter(has_text="created")).to_have_count(0)
    shot(page, "04-preview")

    before = len(runs_of(page, base))
    page.get_by_role("button", name="Confirm first run").click()
    page.wait_for_url(f"{base}/connectors/1/log")
    expect(page.get_by_text("First run confirmed.")).to_be_visible()
    assert run_ended(page, base, before)["status"] == "succeeded"
    page.goto(f"{base}/")
    expect(card(page, 1).locator(".banner")).to_have_count(0)


def log_flow(page: Page, base: str, tmp_path: Path) -> None:
    """Sync Log → a count → its records → CSV; then the Debug Log."""
    card(page, 1).get_by_role("link", name="Sync Log").click()
    expect(page.get_by_text("Results applied in Constant Contact")).to_be_visible()
    expect(page.get_by_text("Time (Europe/Berlin)")).to_be_visible()  # the browser's zone
    # The oldest succeeded run is the first real one (the Preview's dry run is listed too).
    page.locator("tbody tr", has_text="succeeded").last.get_by_role("link").click()
    shot(page, "05-sync-log")
    created = page.get_by_role("link", name=re.compile(r"\d+ created in Constant Contact"))
    count = int(created.inner_text())
    assert count > 0
    created.click()
    expect(page.get_by_role("heading", name="Records Created in Constant Contact")).to_be_visible()
    shot(page, "05a-records")
    first_crm_link = page.locator("a[href*='index.php?module=Contacts&view=Detail&record=']").first
    assert "/index.php?module=Contacts&view=Detail&record=" in str(
        first_crm_link.get_attribute("href")
    )
    with page.expect_download() as download:
        page.get_by_role("link", name="Download As CSV").click()
    target = tmp_path / "records.csv"
    download.value.save_as(target)
    assert target.read_bytes().startswith("\ufeff".encode()), "Excel reads it as UTF-8"
    rows = list(csv.DictReader(target.open(encoding="utf-8-sig")))
    assert len(rows) == count
    assert all(r["action"] == "created" and r["side"] == "cc" for r in rows)
    assert all(r["crm_id"] and r["cc_id"] and r["crm_url"] for r in rows)

    page.goto(f"{base}/connectors/1/debug")
    expect(page.locator("details summary").first).to_be_visible()
    shot(page, "06-debug-log")
    text = page.content()
    assert "/v3/contacts" in text
    for secret in SECRETS:
        assert secret not in text


def revoke_flow(page: Page, base: str) -> None:
    """Revoke Access with its confirmation."""
    page.goto(f"{base}/connectors/1/log")
    page.get_by_role("link", name="Revoke Access").click()
    shot(page, "06a-revoke")
    page.get_by_role("button", name="Yes, revoke access").click()
    expect(page.get_by_text("Access revoked")).to_be_visible()
    page.goto(f"{base}/")
    expect(card(page, 1).locator(".state.needs_sign_in")).to_have_text("Needs sign-in")


def test_the_seed_flow_in_a_browser(
    demo: tuple[Proc, dict[str, object]], browser: Browser, tmp_path: Path
) -> None:
    proc, info = demo
    base = proc.base_url
    context = browser.new_context(
        accept_downloads=True, viewport={"width": 1280, "height": 900}, timezone_id="Europe/Berlin"
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    problems = watch(page)
    admin_flow(page, base, info)
    log_flow(page, base, tmp_path)
    revoke_flow(page, base)
    context.close()
    assert problems == []


def test_a_standard_user_reaches_no_settings(
    demo: tuple[Proc, dict[str, object]], browser: Browser
) -> None:
    proc, info = demo
    base = proc.base_url
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    page = context.new_page()
    problems = watch(page)
    sign_in(page, base, str(info["user"]), str(info["user_password"]))
    shot(page, "06b-standard-user-phone")
    # Their own user level connector, with Sign In, Sync Log and Sync Now but no Settings.
    expect(page.get_by_text("Constant Contact — Sales (demo-user)")).to_be_visible()
    expect(page.get_by_text("Constant Contact — Demo", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Sign In")).to_have_count(1)
    expect(page.get_by_role("link", name="Sync Log")).to_have_count(1)
    expect(page.get_by_role("link", name="Settings")).to_have_count(0)
    assert page.goto(f"{base}/connectors/2/settings").status == 403  # type: ignore[union-attr]
    assert page.goto(f"{base}/connectors/1/log").status == 403  # type: ignore[union-attr]
    answer = page.goto(f"{base}/connectors/1/settings")
    assert answer is not None and answer.status == 403
    expect(page.get_by_role("heading", name=re.compile("403"))).to_be_visible()
    shot(page, "06c-standard-user-403")
    assert page.request.get(f"{base}/api/connectors/1/settings").status == 403
    context.close()
    assert [p for p in problems if "403" not in p] == []
