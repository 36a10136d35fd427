"""The Connector contract, the same tests for every connector and emulator pair.

Each step moves the emulator clock a little so a change always lands in a later server second
(Vtiger keeps 1-second timestamps; two saves in one second are indistinguishable by design).
"""

from __future__ import annotations

from collections.abc import Iterable

from ccsync.connectors.base import ChangeSet, Connector, RemoteRecord

try:  # the test tree is importable as ``tests`` or (rootdir-relative) as its sub-packages
    from tests.contract.harness import ContractHarness
except ModuleNotFoundError:  # pragma: no cover - depends on how pytest set sys.path
    from contract.harness import ContractHarness  # type: ignore[no-redef]

STEP = 2.0


def _with_id(records: Iterable[RemoteRecord], record_id: str) -> list[RemoteRecord]:
    return [r for r in records if r.id == record_id]


def _baseline(harness: ContractHarness) -> str:
    """Read everything once (a first run) and return the state after it."""
    changes = harness.connector.read_changes(None)
    assert isinstance(changes.next_state, str)
    harness.advance_clock(STEP)
    return changes.next_state


def _gone(changes: ChangeSet, record_id: str) -> bool:
    deleted = any(r.id == record_id and r.deleted for r in changes.records)
    return deleted or record_id in changes.deleted_ids


def test_connector_satisfies_the_protocol(harness: ContractHarness) -> None:
    assert isinstance(harness.connector, Connector)
    assert harness.connector.side in ("crm", "cc")
    assert harness.connector.schema().fields


def test_create_get_find_update(harness: ContractHarness) -> None:
    connector = harness.connector
    sample = harness.sample(1)
    created = connector.create(sample)
    email = harness.email_of(sample)
    assert harness.email_of(created.fields).casefold() == email.casefold()
    fetched = connector.get_many([created.id])
    assert [r.id for r in fetched] == [created.id]
    assert harness.first_name_of(fetched[0].fields) == harness.first_name_of(sample)
    found = connector.find_by_email(email.upper())
    assert created.id in [r.id for r in found]
    harness.advance_clock(STEP)
    updated = connector.update(created.id, harness.rename("Renamed"))
    assert updated.id == created.id
    assert harness.first_name_of(updated.fields) == "Renamed"
    assert harness.first_name_of(connector.get_many([created.id])[0].fields) == "Renamed"


def test_change_feed_from_create_to_delete(harness: ContractHarness) -> None:
    connector = harness.connector
    state = _baseline(harness)
    created = connector.create(harness.sample(2))
    harness.advance_clock(STEP)
    connector.update(created.id, harness.rename("Second"))
    harness.advance_clock(STEP)

    changes = connector.read_changes(state)
    mine = _with_id(changes.records, created.id)
    assert len(mine) == 1
    assert harness.first_name_of(mine[0].fields) == "Second"
    harness.advance_clock(STEP)

    quiet = connector.read_changes(changes.next_state)
    assert quiet.records == [] and quiet.deleted_ids == [] and quiet.out_of_scope_ids == []
    harness.advance_clock(STEP)

    harness.remote_edit(created.id, "Edited")
    harness.advance_clock(STEP)
    edited = connector.read_changes(quiet.next_state)
    mine = _with_id(edited.records, created.id)
    assert len(mine) == 1 and not mine[0].deleted
    assert harness.first_name_of(mine[0].fields) == "Edited"
    harness.advance_clock(STEP)

    harness.remote_delete(created.id)
    harness.advance_clock(STEP)
    deleted = connector.read_changes(edited.next_state)
    assert _gone(deleted, created.id)
    assert created.id not in deleted.out_of_scope_ids
    harness.advance_clock(STEP)
    after = connector.read_changes(deleted.next_state)
    assert not _gone(after, created.id)
    assert _with_id(after.records, created.id) == []


def test_delete_is_idempotent(harness: ContractHarness) -> None:
    connector = harness.connector
    created = connector.create(harness.sample(3))
    harness.advance_clock(STEP)
    connector.delete(created.id)
    connector.delete(created.id)
    assert all(r.deleted for r in connector.get_many([created.id]))
    assert all(r.deleted for r in connector.find_by_email(harness.email_of(harness.sample(3))))


def test_read_all_lists_a_new_record(harness: ContractHarness) -> None:
    created = harness.connector.create(harness.sample(4))
    listed = _with_id(harness.connector.read_all(), created.id)
    assert len(listed) == 1 and not listed[0].deleted


def test_calls_are_counted(harness: ContractHarness) -> None:
    connector = harness.connector
    own_before, server_before = connector.calls, harness.calls()
    changes = connector.read_changes(None)
    own = connector.calls - own_before
    assert own > 0
    assert changes.calls == own
    assert harness.calls() - server_before == own
