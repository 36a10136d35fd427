"""Sessions and faults: expiry mid-read, a superseded challenge, a bad key, a passing 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from ccsync.connectors.vtiger import VtigerConnector, VtigerSettings
from ccsync.errors import AuthError

from .vtemu import VtigerEmulator

SEEDED = 300


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VtigerEmulator]:
    tmp = tmp_path_factory.mktemp("vt-session")
    emulator = VtigerEmulator.start(tmp, "--seed-contacts", str(SEEDED), name="vt-session")
    try:
        yield emulator
    finally:
        emulator.stop()


def _hooked(emu: VtigerEmulator, operation: str, after: int, control: str) -> httpx2.Client:
    """A client that fires ``control`` once, after the ``after``-th answer to ``operation``."""
    seen = {"n": 0}

    def on_response(response: httpx2.Response) -> None:
        query = response.request.url.params.get("operation")
        if query == operation:
            seen["n"] += 1
            if seen["n"] == after:
                emu.post(control)

    return httpx2.Client(timeout=30, event_hooks={"response": [on_response]})


def _ops_delta(emu: VtigerEmulator, before: dict[str, int]) -> dict[str, int]:
    after = emu.counters()["by_operation"]
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


def test_session_expiry_between_pages_goes_unnoticed(emu: VtigerEmulator, tmp_path: Path) -> None:
    http = _hooked(emu, "query", after=1, control="/sessions/expire")
    connector = emu.connector(tmp_path, scope="all", http=http)
    before = emu.counters()["by_operation"]
    changes = connector.read_changes(None)
    ids = [r.id for r in changes.records]
    assert len(ids) == len(set(ids)) == len(emu.live_contacts())
    ops = _ops_delta(emu, before)
    assert ops["login"] == 2 and ops["getchallenge"] == 2
    # the page that met the dead session is sent again: one query more than the pages
    assert ops["query"] == len(ids) // 100 + 2
    connector.close()
    http.close()


def test_superseded_challenge_is_retried(emu: VtigerEmulator, tmp_path: Path) -> None:
    http = _hooked(emu, "getchallenge", after=1, control="/challenge/supersede")
    connector = emu.connector(tmp_path, http=http)
    before = emu.counters()["by_operation"]
    assert connector.user_id == "19x1" and connector.is_admin
    ops = _ops_delta(emu, before)
    assert ops == {"getchallenge": 2, "login": 2}
    connector.close()
    http.close()


def test_wrong_access_key_is_an_auth_error_without_the_key(
    emu: VtigerEmulator, tmp_path: Path
) -> None:
    settings = VtigerSettings(url=emu.proc.base_url, username="admin", access_key="wrongKey42")
    connector = VtigerConnector(settings, state_dir=tmp_path)
    before = emu.counters()["by_operation"]
    with pytest.raises(AuthError) as info:
        connector.read_changes(None)
    assert "wrongKey42" not in str(info.value) and "wrongKey42" not in repr(connector)
    assert _ops_delta(emu, before) == {"getchallenge": 3, "login": 3}
    connector.close()


def test_a_passing_500_on_a_read_is_retried(emu: VtigerEmulator, tmp_path: Path) -> None:
    connector = emu.connector(tmp_path, scope="all")
    state = connector.read_changes(None).next_state
    emu.post("/faults", {"rules": [{"kind": "status", "status": 500, "operation": "query"}]})
    try:
        changes = connector.read_changes(state)
    finally:
        emu.control.delete("/faults")
        connector.close()
    assert changes.records == [] and changes.deleted_ids == []
    assert changes.calls == 3  # the faulted page, its retry, one count(*)


def test_quiet_run_costs_at_most_four_requests(emu: VtigerEmulator, tmp_path: Path) -> None:
    first = emu.connector(tmp_path)
    state = first.read_changes(None).next_state
    first.close()
    emu.advance(2)
    before = emu.calls()
    fresh = emu.connector(tmp_path)
    quiet = fresh.read_changes(state)
    assert quiet.records == [] and quiet.deleted_ids == [] and quiet.out_of_scope_ids == []
    assert quiet.calls == emu.calls() - before == 4
    fresh.close()


def test_server_time_offset_follows_the_emulator_clock(emu: VtigerEmulator, tmp_path: Path) -> None:
    def offset() -> float:
        connector = emu.connector(tmp_path)
        try:
            return connector.server_time_offset()
        finally:
            connector.close()

    before = offset()
    emu.advance(3600)
    try:
        after = offset()
    finally:
        emu.advance(-3600)
    assert 3598 <= after - before <= 3602


def test_a_dropped_connection_during_login_is_retried(emu: VtigerEmulator, tmp_path: Path) -> None:
    emu.post("/faults", {"rules": [{"kind": "drop", "operation": "getchallenge"}]})
    connector = emu.connector(tmp_path)
    try:
        assert connector.user_id == "19x1"
    finally:
        emu.control.delete("/faults")
        connector.close()
