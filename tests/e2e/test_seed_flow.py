"""The seed's whole flow in a real Chromium on a real ``ccsync demo`` (both emulators included).

Admin: sign in, fill the OAuth settings, Sign In through the emulator's login and consent pages,
change the Sync Settings, Sync Now (confirming the first run's Preview), open a count, download
the CSV, read the Debug Log (no secret in it), Revoke Access. Standard user: settings → 403.
A screenshot of each page goes to ``artifacts/screenshots/``; with
``UPDATE_DOCS_SCREENSHOTS=1`` the Sync window and the Sync Log also go to ``docs/screenshots/``
for the README.
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
SECRETS = ("ccsync-demo-secret", "demoAccessKey0123", "emulator-pass-1", "demo-password-1")
RUN_TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Proc, dict[str, object]]]:
    """``ccsync demo`` as a subprocess, healthy, with what it printed in demo.json."""
    tmp = tmp_path_factory.mktemp("demo")
    data = tmp / "data"
    proc = start_ccsync(
        ["demo", "--data-dir", str(data), "--contacts", "60"],
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


def shot(page: Page, name: str, *, docs: bool = False) -> None:
    """Save a full-page screenshot (and a copy for the README)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if docs and os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS / f"{name}.png")


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


def sync_now(page: Page, base: str) -> str:
    """Click Sync Now on the Sync window and wait until that run ended; returns its status."""
    before = len(runs_of(page, base))
    page.goto(f"{base}/")
    card(page, 1).get_by_role("button", name="Sync Now").click()
    deadline = time.monotonic() + RUN_TIMEOUT_MS / 1000
    while True:
        runs = runs_of(page, base)
        if len(runs) > before and runs[0]["status"] != "running":
            break
        assert time.monotonic() < deadline, "the run did not end"
        page.wait_for_timeout(250)  # polling the run list, not waiting for a server
    # The live status line (htmx polling) ends on the run's outcome.
    expect(page.locator("#status-1")).to_contain_text(f"Last run: {runs[0]['status']}")
    return str(runs[0]["status"])


def admin_flow(page: Page, base: str, info: dict[str, object]) -> None:
    """The seed flow as the demo admin."""
    sign_in(page, base, str(info["admin"]), str(info["admin_password"]))
    expect(page.get_by_role("heading", name="User level Connectors")).to_be_visible()
    page.goto(f"{base}/connectors/1/oauth")
    fill_oauth(page, info)
    shot(page, "02-oauth-settings")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("OAuth settings saved.")).to_be_visible()

    card(page, 1).get_by_role("link", name="Sign In").click()
    logins = info["cc_logins"]
    assert isinstance(logins, list)
    page.get_by_label("Username").fill(logins[0]["login"])
    page.get_by_label("Password").fill(logins[0]["password"])
    shot(page, "03-cc-login")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Allow Access")).to_be_visible()
    shot(page, "04-cc-consent")
    page.get_by_role("button", name="Allow Access").click()
    page.wait_for_url(f"{base}/")
    expect(page.get_by_text("Constant Contact is connected.")).to_be_visible()
    expect(card(page, 1).locator(".state.connected")).to_have_text("Connected")

    card(page, 1).get_by_role("link", name="Settings").click()
    page.get_by_label("Debug Mode", exact=False).check()
    page.get_by_label("Background Sync Frequency").select_option("60m")
    page.get_by_label("Sync Direction").select_option("both")
    shot(page, "05-sync-settings")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Sync settings saved.")).to_be_visible()

    preview_flow(page, base)
    assert sync_now(page, base) == "succeeded"
    assert sync_now(page, base) == "succeeded"  # a quiet second run
    page.goto(f"{base}/")
    shot(page, "01-sync-window", docs=True)


def preview_flow(page: Page, base: str) -> None:
    """Preview (sync rule P4): the plan and the first-sync matching report before any write."""
    page.goto(f"{base}/connectors/1/log")
    page.get_by_role("link", name="Preview").click()
    page.get_by_role("button", name=re.compile("^Compute the preview")).click()
    expect(page.get_by_text("Planned in Constant Contact")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(page.get_by_role("heading", name=re.compile("Planned actions"))).to_be_visible()
    shot(page, "06-preview")


def log_flow(page: Page, base: str, tmp_path: Path) -> None:
    """Sync Log → a count → its records → CSV; then the Debug Log."""
    card(page, 1).get_by_role("link", name="Sync Log").click()
    expect(page.get_by_text("Results applied in Constant Contact")).to_be_visible()
    expect(page.get_by_text("Time (Europe/Berlin)")).to_be_visible()  # the browser's zone
    # The oldest succeeded run is the first real one (the Preview's dry run is listed too).
    page.locator("tbody tr", has_text="succeeded").last.get_by_role("link").click()
    shot(page, "07-sync-log", docs=True)
    created = page.get_by_role("link", name=re.compile(r"\d+ created in Constant Contact"))
    count = int(created.inner_text())
    assert count > 0
    created.click()
    expect(page.get_by_role("heading", name="Records Created in Constant Contact")).to_be_visible()
    shot(page, "08-records")
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
    shot(page, "09-debug-log")
    text = page.content()
    assert "/v3/contacts" in text
    for secret in SECRETS:
        assert secret not in text


def revoke_flow(page: Page, base: str) -> None:
    """Revoke Access with its confirmation."""
    page.goto(f"{base}/connectors/1/log")
    page.get_by_role("link", name="Revoke Access").click()
    shot(page, "10-revoke")
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
    admin_flow(page, base, info)
    log_flow(page, base, tmp_path)
    revoke_flow(page, base)
    context.close()


def test_a_standard_user_reaches_no_settings(
    demo: tuple[Proc, dict[str, object]], browser: Browser
) -> None:
    proc, info = demo
    base = proc.base_url
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    page = context.new_page()
    sign_in(page, base, str(info["user"]), str(info["user_password"]))
    shot(page, "11-standard-user-phone")
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
    shot(page, "12-standard-user-403")
    assert page.request.get(f"{base}/api/connectors/1/settings").status == 403
    context.close()
