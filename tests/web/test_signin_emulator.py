"""Sign In against the real Constant Contact emulator (login + consent pages over loopback).

Covers what the browser test does not: Deny, and a different CC account signing in later
(sync rule L4: the old pairs are archived and the next run is a first run).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx2
import pytest
from starlette.testclient import TestClient

from ccsync.engine.config import settings_patch
from ccsync.store.repos.connectors import (
    get_connector,
    get_state,
    put_state,
    set_connector_secrets,
    update_connector_settings,
)
from ccsync.store.repos.held import add_attention
from ccsync.store.repos.links import (
    count_archived,
    count_live_pairs,
    get_link_by_crm,
    upsert_links,
)
from ccsync.store.repos.rows import LinkWrite
from support.processes import Proc, start_ccsync

from .conftest import WebEnv, csrf

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <_io.FileIO:pytest.PytestUnraisableExceptionWarning"
    ),
]
REQUEST_ID = re.compile(r'name="request_id" value="([^"]+)"')


@pytest.fixture(scope="module")
def cc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proc]:
    proc = start_ccsync(
        ["emulate", "constant-contact", "--accounts", "2"], tmp_path_factory.mktemp("cc"), name="cc"
    )
    yield proc
    proc.stop()


def _point_at(env: WebEnv, connector_id: int, base: str) -> None:
    authz = f"{base}/oauth2/default/v1"
    with env.ctx.sessions.begin() as session:
        update_connector_settings(session, connector_id, settings_patch(
            cc_client_id="ccsync-demo-client", cc_auth_url=f"{authz}/authorize",
            cc_token_url=f"{authz}/token", cc_revoke_url=f"{authz}/revoke",
            cc_api_url=f"{base}/v3"))  # fmt: skip
        set_connector_secrets(session, connector_id, client_secret="ccsync-demo-secret")


def _consent(client: TestClient, connector_id: int, account: int, decision: str) -> str:
    """Sign In → emulator login → consent; returns the flash shown back on the Sync window."""
    authorize = client.get(f"/connectors/{connector_id}/signin").headers["location"]
    with httpx2.Client(timeout=10) as browser:
        page = browser.get(authorize)
        base = f"{urlsplit(authorize).scheme}://{urlsplit(authorize).netloc}/oauth2/default/v1"
        form = {"request_id": REQUEST_ID.search(page.text).group(1)}  # type: ignore[union-attr]
        creds = {"username": f"owner{account}@example.com", "password": f"emulator-pass-{account}"}
        page = browser.post(f"{base}/authorize/login", data={**form, **creds})
        form = {"request_id": REQUEST_ID.search(page.text).group(1), "decision": decision}  # type: ignore[union-attr]
        back = browser.post(f"{base}/authorize/consent", data=form).headers["location"]
    assert back.startswith("http://127.0.0.1:8765/oauth/callback?")
    client.get(back.removeprefix("http://127.0.0.1:8765"))
    flashes = re.findall(r'class="flash \w+"[^>]*>([^<]+)<', client.get("/").text)
    return " ".join(flashes)


def test_deny_says_so_and_leaves_the_connector_unconnected(
    cc: Proc, admin_client: TestClient, env: WebEnv
) -> None:
    _point_at(env, env.admin_connector, cc.base_url)
    message = _consent(admin_client, env.admin_connector, 1, "deny")
    assert "Constant Contact was not connected: you denied access." in message
    with env.ctx.sessions() as session:
        assert get_connector(session, env.admin_connector).status != "connected"  # type: ignore[union-attr]


def test_another_account_archives_the_pairs_and_restarts_as_a_first_run(
    cc: Proc, admin_client: TestClient, env: WebEnv
) -> None:
    cid = env.admin_connector
    _point_at(env, cid, cc.base_url)
    assert "Constant Contact is connected." in _consent(admin_client, cid, 1, "allow")
    with env.ctx.sessions.begin() as session:
        first = get_connector(session, cid)
        assert first is not None and first.status == "connected" and first.cc_account_id
        upsert_links(session, cid, [LinkWrite("12x1", "c-1"), LinkWrite("12x2", "c-2")])
        put_state(session, cid, "crm", "watermark")
    # The same account again changes nothing.
    assert "different" not in _consent(admin_client, cid, 1, "allow")
    with env.ctx.sessions() as session:
        assert count_live_pairs(session, cid) == 2
    message = _consent(admin_client, cid, 2, "allow")
    assert "A different Constant Contact account than before signed in" in message
    with env.ctx.sessions() as session:
        second = get_connector(session, cid)
        assert second is not None and second.cc_account_id != first.cc_account_id
        assert count_live_pairs(session, cid) == 0 and count_archived(session, cid) == 2
        assert get_state(session, cid, "crm") is None
    answer = admin_client.post(f"/connectors/{cid}/revoke", data={"csrftoken": csrf(admin_client)})
    assert answer.status_code == 303
    assert (
        "Constant Contact accepted the revocation"
        in admin_client.get(f"/connectors/{cid}/log").text
    )


def test_link_this_one_pairs_the_chosen_duplicate_with_the_cc_contact(
    cc: Proc, admin_client: TestClient, env: WebEnv
) -> None:
    cid = env.admin_connector
    _point_at(env, cid, cc.base_url)
    assert "Constant Contact is connected." in _consent(admin_client, cid, 1, "allow")
    email = "twin.linked@example.com"
    body = {"email_address": {"address": email, "permission_to_send": "implicit"},
            "first_name": "Tw", "last_name": "In"}  # fmt: skip
    created = httpx2.post(f"{cc.base_url}/_emulator/accounts/1/contacts", json=body, timeout=10)
    assert created.status_code == 201
    with env.ctx.sessions.begin() as session:
        add_attention(session, cid, kind="ambiguous_crm_duplicates", email=email,
                      candidates=["12x31", "12x32"])  # fmt: skip
    item = admin_client.get(f"/api/connectors/{cid}/attention").json()[0]["id"]
    answer = admin_client.post(
        f"/api/connectors/{cid}/attention/{item}/link",
        json={"crm_id": "12x32"},
        headers={"x-csrftoken": csrf(admin_client)},
    )
    assert answer.json()["message"].startswith("Linked 12x32")
    with env.ctx.sessions() as session:
        link = get_link_by_crm(session, cid, "12x32")
        assert link is not None and link.cc_id == created.json()["contact_id"]
    assert admin_client.get(f"/api/connectors/{cid}/attention").json() == []


def test_the_sync_window_names_the_signed_in_account(
    cc: Proc, admin_client: TestClient, env: WebEnv
) -> None:
    """Issue 11 item 10: the account by its name and email (GET /v3/account/summary), not its
    opaque id."""
    cid = env.admin_connector
    _point_at(env, cid, cc.base_url)
    assert "Constant Contact is connected." in _consent(admin_client, cid, 2, "allow")
    with env.ctx.sessions() as session:
        row = get_connector(session, cid)
    assert row is not None and row.cc_account_id
    page = admin_client.get("/").text
    assert "Account: Emulated Account 2 (owner2@example.com)" in page
    assert row.cc_account_id not in page
