"""The pages load in a real Chromium under the Content-Security-Policy without a console error
(a CSP violation is a console error), and the moved-out scripts still run (issue 10 item 10)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Request, sync_playwright

from ccsync.engine.config import ConnectorConfig
from ccsync.settings import get_settings
from ccsync.store.crypto import configure_encryption
from ccsync.store.db import init_db, session_factory
from ccsync.store.repos.connectors import create_connector
from ccsync.store.repos.held import add_held
from ccsync.store.repos.rows import HeldWrite, RunItemWrite
from ccsync.store.repos.runs import add_run_items, finish_run, start_run
from ccsync.store.repos.users import create_user
from support.browser import launch_chromium, serve, sign_in
from support.processes import Proc

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <_io.FileIO:pytest.PytestUnraisableExceptionWarning"
    ),
]
ADMIN = ("csp-admin", "csp-admin-password")


def _seed(data: Path) -> int:
    settings = get_settings(data_dir=data)
    configure_encryption(settings.fernet_keys)
    engine = init_db(settings.database_url)
    config = ConnectorConfig.from_keys(
        cc_client_id="c", cc_auth_url="http://127.0.0.1:9/a", cc_token_url="http://127.0.0.1:9/t",
        cc_api_url="http://127.0.0.1:9/v3", vtiger_url="http://127.0.0.1:9",
        cc_contact_url="https://cc.example/c/{cc_id}", frequency="off",
    ).stored()  # fmt: skip
    with session_factory(engine).begin() as session:
        admin = create_user(session, *ADMIN, role="admin")
        row = create_connector(session, "CSP CC", admin.id, config, client_secret="s3cr3t-xyz")
        run = start_run(session, row.id, "manual")
        add_run_items(session, run.id, [RunItemWrite("cc", "created", "12x1", "c-1", "Ann")])
        finish_run(session, run.id, status="succeeded", counts={"cc": {"created": 1}}, calls={})
        add_held(session, row.id, [HeldWrite("cc", "delete", "12x2", "c-2")])
    engine.dispose()
    return row.id


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Proc, int]]:
    tmp = tmp_path_factory.mktemp("csp")
    connector_id = _seed(tmp / "data")
    proc = serve(tmp)
    yield proc, connector_id
    proc.stop()


def _aborted_favicon(request: Request) -> bool:
    """Chromium fetches the favicon on its own after the page has loaded; a navigation that
    starts meanwhile aborts that fetch (not a page error; a missing favicon is still a 404)."""
    return request.url.endswith("/favicon.svg") and request.failure == "net::ERR_ABORTED"


def _watch(page: Page, problems: list[str]) -> None:
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "requestfailed",
        lambda r: None if _aborted_favicon(r) else problems.append(f"failed: {r.url} {r.failure}"),
    )
    page.on(
        "response", lambda r: problems.append(f"{r.status}: {r.url}") if r.status == 404 else None
    )


def test_every_page_loads_under_the_csp_without_console_errors(server: tuple[Proc, int]) -> None:
    proc, cid = server
    base = proc.base_url
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page()
        _watch(page, problems)
        answer = page.goto(f"{base}/login")
        assert answer is not None
        assert "script-src 'self'" in answer.headers["content-security-policy"]
        # app.js (no longer inline) filled the browser's time zone into the hidden field.
        page.wait_for_function("document.getElementById('login-timezone').value !== ''")
        sign_in(page, base, *ADMIN)
        for path in (
            "/",
            "/profile",
            "/connectors/available",
            f"/connectors/{cid}/oauth",
            f"/connectors/{cid}/settings",
            f"/connectors/{cid}/log",
            f"/connectors/{cid}/runs/1/items?side=cc&action=created",
            f"/connectors/{cid}/debug",
            f"/connectors/{cid}/operations",
            f"/connectors/{cid}/preview",
            f"/connectors/{cid}/revoke",
            "/admin/users",
            "/admin/audit",
            "/password",
        ):
            loaded = page.goto(base + path)
            assert loaded is not None and loaded.status == 200, path
            # networkidle: the favicon has loaded too (the next navigation would abort it)
            page.wait_for_load_state("networkidle")
        page.goto(f"{base}/profile")
        page.wait_for_function("document.getElementById('tz-browser').textContent !== ''")
        # htmx loaded from /static and took the page's config (no inline <style> of its own).
        assert page.evaluate("htmx.config.includeIndicatorStyles") is False
        browser.close()
    assert problems == []
