"""Issue 11 item 1 in a real Chromium: the banner of a first run stopped at its Preview leads to
the Preview, which filters, pages and confirms (under the CSP, without a console error)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from ccsync.engine.config import ConnectorConfig
from ccsync.settings import get_settings
from ccsync.store.crypto import configure_encryption
from ccsync.store.db import init_db, session_factory
from ccsync.store.repos.connectors import create_connector
from ccsync.store.repos.users import create_user
from support.browser import launch_chromium, serve, sign_in
from support.processes import Proc

from .test_preview_page import held_first_run

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <_io.FileIO:pytest.PytestUnraisableExceptionWarning"
    ),
]
ADMIN = ("preview-admin", "preview-admin-password")


def _seed(data: Path) -> int:
    settings = get_settings(data_dir=data)
    configure_encryption(settings.fernet_keys)
    engine = init_db(settings.database_url)
    config = ConnectorConfig.from_keys(
        cc_client_id="c", cc_auth_url="http://127.0.0.1:9/a", cc_token_url="http://127.0.0.1:9/t",
        cc_api_url="http://127.0.0.1:9/v3", vtiger_url="http://127.0.0.1:9", frequency="off",
    ).stored()  # fmt: skip
    sessions = session_factory(engine)
    with sessions.begin() as session:
        admin = create_user(session, *ADMIN, role="admin")
        row = create_connector(session, "First CC", admin.id, config, client_secret="s3cr3t-xyz")
    held_first_run(sessions, row.id)
    engine.dispose()
    return row.id


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Proc, int]]:
    connector_id = _seed(tmp_path / "data")
    proc = serve(tmp_path)
    yield proc, connector_id
    proc.stop()


def _sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/login")
    sign_in(page, base, *ADMIN)


def test_the_banner_leads_to_a_preview_that_filters_pages_and_confirms(
    server: tuple[Proc, int],
) -> None:
    proc, cid = server
    base = proc.base_url
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        _sign_in(page, base)

        banner = page.get_by_text("First sync stopped at its Preview: 120 creates, 7 overwrites")
        expect(banner).to_be_visible()
        banner.get_by_role("link", name="Review and confirm").click()
        page.wait_for_url(f"{base}/connectors/{cid}/preview")
        expect(page.get_by_role("button", name="Confirm first run")).to_be_visible()
        expect(page.get_by_text("Actions 1–50 of 130 · page 1 of 3")).to_be_visible()

        page.get_by_label("Target", exact=True).select_option("cc")
        page.get_by_label("Action", exact=True).select_option("created")
        page.get_by_role("button", name="Filter").click()
        expect(page.get_by_text("Actions 1–50 of 120 · page 1 of 3")).to_be_visible()
        assert "?side=cc&action=created&reason=" in page.url  # as the form sends it
        rows = page.locator("table[aria-describedby=plan-range] tbody tr")
        expect(rows).to_have_count(50)
        expect(rows.filter(has_text="Vtiger CRM")).to_have_count(0)

        page.get_by_role("link", name="Next").first.click()
        expect(page.get_by_text("Actions 51–100 of 120 · page 2 of 3")).to_be_visible()
        page.get_by_role("link", name="Next").first.click()
        expect(page.get_by_text("Actions 101–120 of 120 · page 3 of 3")).to_be_visible()
        expect(page.get_by_role("cell", name="Person 119")).to_be_visible()
        expect(page.get_by_role("link", name="Next")).to_have_count(0)
        page.get_by_role("link", name="Previous").first.click()
        expect(page.get_by_text("Actions 51–100 of 120 · page 2 of 3")).to_be_visible()

        page.get_by_label("Target", exact=True).select_option("crm")
        page.get_by_label("Action", exact=True).select_option("")
        page.get_by_label("Reason", exact=True).select_option("no_last_name")
        page.get_by_role("button", name="Filter").click()
        expect(page.get_by_text("Actions 1–3 of 3")).to_be_visible()

        page.get_by_role("button", name="Confirm first run").click()
        page.wait_for_url(f"{base}/connectors/{cid}/log")
        expect(page.get_by_text("First run confirmed.")).to_be_visible()
        browser.close()
    assert problems == []


def test_each_filter_of_the_preview_sits_next_to_its_own_label(server: tuple[Proc, int]) -> None:
    """At a desktop width the selects stretched to half the row, so "Action" ended the Target's
    line and its select began the next one: every label is just left of its own select."""
    proc, cid = server
    base = proc.base_url
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        for width in (1280, 390):
            page = browser.new_page(viewport={"width": width, "height": 900})
            _sign_in(page, base)
            page.goto(f"{base}/connectors/{cid}/preview")
            form = page.get_by_role("form", name="Filter the planned actions")
            for name in ("Target", "Action", "Reason"):
                label = form.locator("label", has_text=name).bounding_box()
                select = form.get_by_label(name, exact=True).bounding_box()
                assert label is not None and select is not None
                label_mid = label["y"] + label["height"] / 2
                assert select["y"] <= label_mid <= select["y"] + select["height"], (width, name)
                gap = select["x"] - (label["x"] + label["width"])
                assert 0 <= gap <= 16, (width, name, gap)
            page.close()
        browser.close()


def test_the_sync_logs_run_dates_and_times_stay_on_one_line(server: tuple[Proc, int]) -> None:
    """At 1280 wide the Runs table broke "2026-03-02" after its second hyphen."""
    proc, cid = server
    base = proc.base_url
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        _sign_in(page, base)
        page.goto(f"{base}/connectors/{cid}/log")
        row = page.locator("table tbody tr", has=page.locator("a[href$='/log?run=1']")).first
        expect(row).to_be_visible()
        for cell in (row.locator("td").nth(0), row.locator("td").nth(1)):
            lines = cell.evaluate(
                "td => { const r = document.createRange(); r.selectNodeContents(td);"
                " return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }"
            )
            assert lines == 1, cell.inner_text()
        browser.close()
