"""Full reads, paging and change reads against the emulator (sync rules Q2, Q3, C1)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from ccsync.connectors.constantcontact.connector import ConstantContactConnector

from .ccemu import Emulator, connector_for, sample_contact, settings_for, start_emulator
from .conftest import SEEDED


@pytest.fixture
def cc(emu: Emulator, tmp_path: Path) -> Iterator[ConstantContactConnector]:
    connector = connector_for(emu, tmp_path)
    yield connector
    connector.close()


def test_full_read_follows_every_page(emu: Emulator, cc: ConstantContactConnector) -> None:
    """Sync rule Q2: ``status=all`` through ``_links.next`` returns every contact once."""
    emu.clear_counters()
    records = list(cc.read_all())
    stored = emu.all_contacts()
    assert {r.id for r in records} == {c["contact_id"] for c in stored}
    assert len(records) == len(stored) >= SEEDED
    assert {r.id for r in records if r.deleted} == {
        c["contact_id"] for c in stored if c.get("deleted_at")
    }
    pages = emu.endpoint_count("GET /v3/contacts")
    assert pages == math.ceil(len(stored) / 500)
    assert cc.calls == pages  # the stored token was fresh: no token call


def test_quiet_read_costs_two_calls(emu: Emulator, cc: ConstantContactConnector) -> None:
    """Sync rule Q3: after a full read, a quiet read is one updated_after + one optout_after."""
    emu.advance(3600)  # earlier tests' writes fall out of the overlap window
    first = cc.read_changes(None)
    assert first.complete and len(first.records) >= SEEDED
    emu.clear_counters()
    quiet = cc.read_changes(first.next_state)
    assert quiet.records == [] and not quiet.complete
    assert quiet.calls == 2
    assert emu.counters()["total"] == 2


def test_changes_carry_edits_creates_deletes_and_unsubscribes(
    emu: Emulator, cc: ConstantContactConnector
) -> None:
    """Sync rules Q2 and C1: every kind of remote change shows up once, then the read is quiet."""
    emu.advance(3600)
    state = cc.read_changes(None).next_state
    victims = [c for c in emu.all_contacts() if not c.get("deleted_at")][:3]
    edited, deleted, leaver = (c["contact_id"] for c in victims)
    emu.owner_edit(edited, {"first_name": "Edited"})
    emu.owner_delete(deleted)
    emu.contact_unsubscribes(leaver)
    created = emu.owner_create(sample_contact(1, "reads"))["contact_id"]
    changes = cc.read_changes(state)
    by_id = {r.id: r for r in changes.records}
    assert set(by_id) == {edited, deleted, leaver, created}
    assert by_id[edited].fields["first_name"] == "Edited"
    assert by_id[deleted].deleted and by_id[deleted].fields.get("deleted_at")
    assert by_id[leaver].fields["email_address"]["permission_to_send"] == "unsubscribed"
    assert changes.calls == 2
    again = cc.read_changes(changes.next_state)
    assert again.records == []


def test_list_scope_reads_only_target_list_members(
    emu: Emulator, tmp_path: Path, closing: list[ConstantContactConnector]
) -> None:
    """Sync rule L2: only members of the target list; an unsubscribe takes the contact off it."""
    emu.advance(3600)  # other tests' changes fall out of the overlap window
    settings = settings_for(emu, scope="lists", target_list="ccsync-scope-test")
    cc = connector_for(emu, tmp_path, settings=settings)
    closing.append(cc)
    member = cc.create(sample_contact(2, "scope"))
    outsider = emu.owner_create(sample_contact(3, "scope"))["contact_id"]
    ids = {r.id for r in cc.read_all()}
    assert ids == {member.id}
    assert outsider not in ids
    assert [r.id for r in cc.find_by_email("SCOPE.person2@example.com")] == [member.id]
    assert cc.find_by_email("scope.person3@example.com") == []
    # a later run (a new connector instance) still reads quietly in two calls
    state = cc.read_changes(None).next_state
    later = connector_for(emu, tmp_path / "later", settings=settings)
    closing.append(later)
    # change reads are account-wide (a deleted or removed member leaves the list): the
    # outsider created inside the look-back is returned once, out of scope
    first = later.read_changes(state)
    assert [r.id for r in first.records] == [outsider] == first.out_of_scope_ids
    quiet = later.read_changes(first.next_state)
    assert quiet.records == [] and quiet.calls == 2
    emu.contact_unsubscribes(member.id)  # CC drops every list membership on unsubscribe
    left = later.read_changes(quiet.next_state)
    assert [r.id for r in left.records] == [member.id]
    assert left.records[0].fields["email_address"]["permission_to_send"] == "unsubscribed"
    assert left.out_of_scope_ids == [member.id]


@pytest.fixture(scope="module")
def pessimistic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    path = tmp_path_factory.mktemp("pess")
    emulator = start_emulator(path, "--seed-contacts", "40", "--profile", "pessimistic")
    yield emulator
    emulator.stop()


def test_pessimistic_deletes_need_the_count_probe(
    pessimistic: Emulator, tmp_path: Path, closing: list[ConstantContactConnector]
) -> None:
    """Sync rule Q3, pessimistic: a delete that does not bump updated_at is found by the probe.

    Without the probe the delete is missed (the reason the probe exists); with it a quiet read
    costs three calls and a read after deletes adds one page of deleted contacts.
    """
    pessimistic.advance(3600)  # the seed's own writes fall out of the overlap window
    plain = connector_for(pessimistic, tmp_path / "plain")
    probing = connector_for(
        pessimistic,
        tmp_path / "probe",
        settings=settings_for(pessimistic, deletion_check="count_probe"),
    )
    closing += [plain, probing]
    states = [plain.read_changes(None).next_state, probing.read_changes(None).next_state]
    target = next(c for c in pessimistic.all_contacts() if not c.get("deleted_at"))["contact_id"]
    pessimistic.owner_delete(target)
    missed = plain.read_changes(states[0])
    assert target not in {r.id for r in missed.records}
    found = probing.read_changes(states[1])
    assert [(r.id, r.deleted) for r in found.records] == [(target, True)]
    assert found.calls == 4  # updated_after + optout_after + count probe + deleted listing
    pessimistic.clear_counters()
    quiet = probing.read_changes(found.next_state)
    assert quiet.records == [] and quiet.calls == 3
    assert pessimistic.counters()["total"] == 3


def test_pessimistic_unsubscribe_is_caught_by_optout_read(
    pessimistic: Emulator, tmp_path: Path, closing: list[ConstantContactConnector]
) -> None:
    """Sync rule C1: an opt-out that does not bump updated_at still arrives through optout_after."""
    pessimistic.advance(3600)
    cc = connector_for(pessimistic, tmp_path)
    closing.append(cc)
    state = cc.read_changes(None).next_state
    target = next(
        c
        for c in pessimistic.all_contacts()
        if not c.get("deleted_at") and c["email_address"]["permission_to_send"] != "unsubscribed"
    )["contact_id"]
    pessimistic.contact_unsubscribes(target)
    changes = cc.read_changes(state)
    assert [r.id for r in changes.records] == [target]
    assert changes.records[0].fields["email_address"]["permission_to_send"] == "unsubscribed"
