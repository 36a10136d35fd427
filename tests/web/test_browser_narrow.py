"""Issue 11 item 7: at a 400 px wide window no page scrolls sideways (real Chromium).

Tables scroll inside their wrapper and long text (URLs, ids, headers) wraps, so the document is
never wider than the window.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from ccsync.connectors.trace import TraceEntry
from ccsync.engine.config import ConnectorConfig
from ccsync.settings import get_settings
from ccsync.store.crypto import configure_encryption
from ccsync.store.db import init_db, session_factory
from ccsync.store.repos.connectors import create_connector
from ccsync.store.repos.debuglog import append_debug
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
ADMIN = ("narrow-admin", "narrow-admin-password")
WIDTH = 400
LONG_URL = "http://127.0.0.1:9/v3/contacts?" + "&".join(
    f"include_field_{i}=value{i}" for i in range(40)
)
# The elements wider than the window, to say in a failure what overflows.
WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .filter(e => !e.closest('.table-wrap'))
  .slice(0, 5)
  .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


def _seed(data: Path) -> int:
    settings = get_settings(data_dir=data)
    configure_encryption(settings.fernet_keys)
    engine = init_db(settings.database_url)
    config = ConnectorConfig.from_keys(
        cc_client_id="a-rather-long-client-id-0123456789abcdef0123456789abcdef",
        cc_auth_url="http://127.0.0.1:9/a", cc_token_url="http://127.0.0.1:9/t",
        cc_api_url="http://127.0.0.1:9/v3", vtiger_url="http://127.0.0.1:9",
        cc_contact_url="https://cc.example/c/{cc_id}", frequency="off",
    ).stored()  # fmt: skip
    at = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    with session_factory(engine).begin() as session:
        admin = create_user(session, *ADMIN, role="admin")
        row = create_connector(session, "Narrow CC", admin.id, config, client_secret="s3cr3t-xyz")
        run = start_run(session, row.id, "manual", now=at)
        items = [
            RunItemWrite("cc", "created", f"12x{i}", f"c0ffee-{i:04d}-long-cc-contact-id",
                         f"Maximilian Alexander Longname-Example {i}", diff={"title": ["", "CTO"]})
            for i in range(30)
        ]  # fmt: skip
        add_run_items(session, run.id, items)
        counts = {"cc": {"created": 30}, "crm": {"updated": 0}}
        finish_run(session, run.id, status="succeeded", counts=counts, calls={"cc": 3, "crm": 4})
        headers = {"authorization": "***", "x-long": "v" * 300}
        body = '{"contacts": [' + "1," * 400 + "1]}"
        entries = [
            TraceEntry(at, "GET", LONG_URL, 200, 12.5, headers, "", {"x": "json"}, body)
            for _ in range(5)
        ]
        append_debug(session, row.id, run.id, entries)
        add_held(session, row.id, [HeldWrite("cc", "delete", "12x2", "c0ffee-long-held-id-0002")])
    engine.dispose()
    return row.id


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Proc, int]]:
    tmp = tmp_path_factory.mktemp("narrow")
    connector_id = _seed(tmp / "data")
    proc = serve(tmp)
    yield proc, connector_id
    proc.stop()


def test_no_main_page_scrolls_sideways_at_400_px(server: tuple[Proc, int]) -> None:
    proc, cid = server
    base = proc.base_url
    wide: dict[str, tuple[int, list[str]]] = {}
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": WIDTH, "height": 800})
        page.goto(f"{base}/login")
        sign_in(page, base, *ADMIN)
        for path in (
            "/",
            f"/connectors/{cid}/settings",
            f"/connectors/{cid}/oauth",
            f"/connectors/{cid}/log",
            f"/connectors/{cid}/runs/1/items?side=cc&action=created",
            f"/connectors/{cid}/debug",
            f"/connectors/{cid}/operations",
            "/admin/audit",
        ):
            loaded = page.goto(base + path)
            assert loaded is not None and loaded.status == 200, path
            page.wait_for_load_state("load")
            width = int(page.evaluate("document.documentElement.scrollWidth"))
            if width > WIDTH:
                wide[path] = (width, page.evaluate(WIDE))
        browser.close()
    assert wide == {}
