"""Issue 11 item 9 in a real Chromium: a run that starts elsewhere (here: a run held in progress
in the store by this test process, as the CLI or a worker would) appears on the open Sync
window without a reload, with the next background run, and its end shows too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import Engine

from ccsync.engine.config import ConnectorConfig
from ccsync.settings import get_settings
from ccsync.store.crypto import configure_encryption
from ccsync.store.db import init_db, session_factory
from ccsync.store.lease import RunLease
from ccsync.store.repos.connectors import create_connector, set_connector_status
from ccsync.store.repos.runs import finish_run, start_run
from ccsync.store.repos.users import create_user
from support.browser import launch_chromium, serve, sign_in
from support.processes import Proc

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <_io.FileIO:pytest.PytestUnraisableExceptionWarning"
    ),
]
ADMIN = ("live-admin", "live-admin-password")
POLL_MS = 15_000  # the idle poll is every 10 s


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Engine, int]]:
    settings = get_settings(data_dir=tmp_path / "data")
    configure_encryption(settings.fernet_keys)
    engine = init_db(settings.database_url)
    config = ConnectorConfig.from_keys(
        cc_client_id="c", cc_auth_url="http://127.0.0.1:9/a", cc_token_url="http://127.0.0.1:9/t",
        cc_api_url="http://127.0.0.1:9/v3", vtiger_url="http://127.0.0.1:9", frequency="4h",
    ).stored()  # fmt: skip
    with session_factory(engine).begin() as session:
        admin = create_user(session, *ADMIN, role="admin")
        row = create_connector(session, "Live CC", admin.id, config, client_secret="s3cr3t-xyz")
        set_connector_status(session, row.id, "connected")
    yield engine, row.id
    engine.dispose()


@pytest.fixture
def server(tmp_path: Path, store: tuple[Engine, int]) -> Iterator[Proc]:
    proc = serve(tmp_path)
    yield proc
    proc.stop()


def test_a_run_started_elsewhere_appears_and_ends_without_a_reload(
    server: Proc, store: tuple[Engine, int]
) -> None:
    engine, cid = store
    sessions = session_factory(engine)
    base = server.base_url
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{base}/login")
        sign_in(page, base, *ADMIN)
        live = page.locator(f"#status-{cid}")
        expect(live).to_have_attribute("data-running", "no")
        expect(live).to_contain_text("Next background run:")
        page.evaluate("window.ccsyncNotReloaded = true")

        with sessions.begin() as session:
            run = start_run(session, cid, "cli")
        lease = RunLease(sessions, cid, "browser-test-holder")
        assert lease.acquire()
        try:
            expect(live).to_have_attribute("data-running", "yes", timeout=POLL_MS)
            expect(live.locator(".state")).to_have_text("Syncing")
            expect(live).to_contain_text("running in another process")
            expect(live).to_have_attribute("hx-trigger", "every 2s")
            with sessions.begin() as session:
                finish_run(session, run.id, status="succeeded")
        finally:
            lease.release()
        expect(live).to_have_attribute("data-running", "no", timeout=POLL_MS)
        expect(live).to_contain_text("(succeeded)")
        expect(live).to_have_attribute("hx-trigger", "every 10s")
        assert page.evaluate("window.ccsyncNotReloaded === true"), "the page was not reloaded"
        browser.close()
    assert problems == []
