"""Issue 11 item 4: the Sync window's status says what is wrong, and stops saying it once fixed.

Against the Constant Contact and Vtiger emulators: a Vtiger key Vtiger refuses is its own state
(not Constant Contact's "Reconnect needed") and clears when the key is saved; a run refused for
want of a sign-in is not shown as the current state after signing in.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from starlette.testclient import TestClient

from ccsync.engine.config import settings_patch
from ccsync.store.repos.connectors import (
    get_connector,
    set_connector_secrets,
    set_connector_status,
    update_connector_settings,
)
from support.processes import Proc, start_ccsync

from .conftest import WebEnv, csrf
from .test_settings import SYNC
from .test_signin_emulator import _consent, _point_at

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <_io.FileIO:pytest.PytestUnraisableExceptionWarning"
    ),
]
VT_KEY = "demoAccessKey0123"
VTIGER_REFUSED = "Vtiger refused the access key — fix it in Settings"


@pytest.fixture(scope="module")
def emulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Proc, Proc]]:
    cc = start_ccsync(["emulate", "constant-contact"], tmp_path_factory.mktemp("cc"), name="cc")
    vt = start_ccsync(["emulate", "vtiger"], tmp_path_factory.mktemp("vt"), name="vt")
    yield cc, vt
    cc.stop()
    vt.stop()


def _poll(done: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _sync_now(client: TestClient, env: WebEnv, cid: int) -> None:
    answer = client.post(f"/connectors/{cid}/sync", data={"csrftoken": csrf(client)})
    assert answer.status_code == 303
    _poll(lambda: not env.ctx.backend.state(cid).running)


def _status(env: WebEnv, cid: int) -> str:
    with env.ctx.sessions() as session:
        row = get_connector(session, cid)
    assert row is not None
    return row.status


@pytest.fixture
def started(env: WebEnv) -> Iterator[WebEnv]:
    env.ctx.backend.start(background=False)
    yield env
    env.ctx.backend.shutdown(wait=True)


def test_a_refused_vtiger_key_is_its_own_state_and_clears_when_the_key_is_saved(
    emulators: tuple[Proc, Proc], admin_client: TestClient, started: WebEnv
) -> None:
    cc, vt = emulators
    env, cid = started, started.admin_connector
    _point_at(env, cid, cc.base_url)
    with env.ctx.sessions.begin() as session:
        update_connector_settings(
            session, cid, settings_patch(vtiger_url=vt.base_url, vtiger_username="admin")
        )
        set_connector_secrets(session, cid, vtiger_access_key="a-wrong-key-0000")
    assert "Constant Contact is connected." in _consent(admin_client, cid, 1, "allow")

    _sync_now(admin_client, env, cid)

    page = admin_client.get("/").text
    assert VTIGER_REFUSED in page and "Reconnect needed" not in page
    assert _status(env, cid) == "crm_auth"
    fixed = {**SYNC, "vtiger_url": vt.base_url, "vtiger_username": "admin", "frequency": "off"}
    answer = admin_client.post(
        f"/connectors/{cid}/settings",
        data={**fixed, "vtiger_access_key": VT_KEY, "csrftoken": csrf(admin_client)},
    )
    assert answer.status_code == 303, answer.text
    page = admin_client.get("/").text
    assert VTIGER_REFUSED not in page and "INVALID_USER_CREDENTIALS" not in page
    assert ">Connected<" in page
    # and the key works: the next run gets past Vtiger (a first run stops at its Preview)
    _sync_now(admin_client, env, cid)
    assert env.ctx.backend.state(cid).last_status in ("preview", "succeeded")
    assert _status(env, cid) == "connected"


def test_a_run_refused_before_sign_in_is_not_the_state_after_signing_in(
    emulators: tuple[Proc, Proc], admin_client: TestClient, started: WebEnv
) -> None:
    cc, _vt = emulators
    env, cid = started, started.admin_connector
    _point_at(env, cid, cc.base_url)
    with env.ctx.sessions.begin() as session:
        set_connector_status(session, cid, "needs_sign_in")  # as saving its OAuth settings does
    _sync_now(admin_client, env, cid)  # the connector was never signed in
    assert "not signed in" in admin_client.get("/").text

    assert "Constant Contact is connected." in _consent(admin_client, cid, 1, "allow")

    page = admin_client.get("/").text
    assert "not signed in" not in page and ">Connected<" in page
