"""The ``sync`` path: Vtiger Cloud (restapi) and an older webservice where ``sync`` works."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ccsync.errors import QuotaExhausted

from .vtemu import VtigerEmulator


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VtigerEmulator]:
    tmp = tmp_path_factory.mktemp("vt-cloud")
    emulator = VtigerEmulator.start(
        tmp, "--seed-contacts", "250", flavour="restapi", name="vt-cloud"
    )
    try:
        yield emulator
    finally:
        emulator.stop()


def _ops(emu: VtigerEmulator, before: dict[str, int]) -> dict[str, int]:
    after = emu.counters()["by_operation"]
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


def _read(emu: VtigerEmulator, tmp: Path, state: str | None, **kw: str):  # type: ignore[no-untyped-def]
    connector = emu.connector(tmp, **kw)
    try:
        return connector.read_changes(state)
    finally:
        connector.close()


def test_cloud_reads_with_sync_and_a_quiet_run_costs_three(
    cloud: VtigerEmulator, tmp_path: Path
) -> None:
    before = cloud.counters()["by_operation"]
    first = _read(cloud, tmp_path, None, scope="all")
    assert len(first.records) == len(cloud.live_contacts())
    assert set(_ops(cloud, before)) == {"me", "sync"}
    cloud.advance(2)
    before = cloud.counters()["by_operation"]
    quiet = _read(cloud, tmp_path, first.next_state, scope="all")
    assert quiet.records == [] and quiet.deleted_ids == []
    assert _ops(cloud, before) == {"me": 1, "sync": 1, "query": 1}
    assert quiet.calls == 3


def test_cloud_deletions_come_from_sync(cloud: VtigerEmulator, tmp_path: Path) -> None:
    state = _read(cloud, tmp_path, None).next_state
    admin_id = "19x1"
    mine = [c["id"] for c in cloud.live_contacts() if c["assigned_user_id"] == admin_id]
    cloud.ui_delete(mine[0])
    edited = mine[1]
    cloud.ui_edit(edited, {"firstname": "Cloudy"})
    cloud.advance(2)
    changes = _read(cloud, tmp_path, state)
    assert changes.deleted_ids == [mine[0]]
    assert [(r.id, r.fields["firstname"]) for r in changes.records] == [(edited, "Cloudy")]


def test_cloud_non_admin_sees_reassignment_as_out_of_scope(
    cloud: VtigerEmulator, tmp_path: Path
) -> None:
    made = cloud.ui_create({"lastname": "Cloud Sales"}, user="sales1")
    state = _read(cloud, tmp_path, None, user="sales1").next_state
    cloud.post(f"/ui/contacts/{made['id']}/reassign", {"to_user": "admin"})
    cloud.advance(2)
    changes = _read(cloud, tmp_path, state, user="sales1")
    assert changes.out_of_scope_ids == [made["id"]] and changes.deleted_ids == []


def test_cloud_daily_quota_stops_the_run(tmp_path: Path) -> None:
    emu = VtigerEmulator.start(
        tmp_path, "--quota-day", "3", "--seed-contacts", "5", flavour="restapi", name="vt-quota"
    )
    connector = emu.connector(tmp_path)
    try:
        connector.read_changes(None)  # me, sync: 2 of 3
        assert connector.find_by_email("nobody@example.com") == []  # the last unit
        with pytest.raises(QuotaExhausted):
            connector.find_by_email("nobody@example.com")  # refused before it is sent
        assert emu.calls() == 3
    finally:
        connector.close()
        emu.stop()


def test_webservice_uses_sync_when_the_probe_works(tmp_path: Path) -> None:
    emu = VtigerEmulator.start(
        tmp_path, "--sync-operation", "working", "--seed-contacts", "120", name="vt-oldsync"
    )
    try:
        before = emu.counters()["by_operation"]
        first = _read(emu, tmp_path, None)
        assert first.records and all(r.fields["assigned_user_id"] == "19x1" for r in first.records)
        assert "query" not in _ops(emu, before)
        victim = first.records[0].id
        emu.ui_delete(victim)
        emu.advance(2)
        before = emu.counters()["by_operation"]
        changes = _read(emu, tmp_path, first.next_state)
        assert changes.deleted_ids == [victim]
        assert _ops(emu, before) == {"getchallenge": 1, "login": 1, "sync": 1, "query": 1}
        edited = first.records[1].id
        emu.ui_edit(edited, {"firstname": "AfterFailure"})
        emu.advance(2)
        rule = {"kind": "status", "status": 500, "operation": "sync", "count": 3}
        emu.post("/faults", {"rules": [rule]})
        try:
            fallback = _read(emu, tmp_path, changes.next_state)
        finally:
            emu.control.delete("/faults")
        assert [r.id for r in fallback.records] == [edited]
        assert _ops(emu, before)["query"] >= 3  # the keyset page and the count(*) now
    finally:
        emu.stop()
