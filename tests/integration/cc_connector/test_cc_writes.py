"""Create, update, delete and 409 handling against the emulator (sync rules I7, D4)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from ccsync.connectors.constantcontact.connector import ConstantContactConnector
from ccsync.connectors.trace import TraceEntry
from ccsync.errors import RecordConflict, SkippableRecordError

from .ccemu import Emulator, connector_for, sample_contact


@pytest.fixture
def cc(emu: Emulator, tmp_path: Path) -> Iterator[ConstantContactConnector]:
    connector = connector_for(emu, tmp_path)
    yield connector
    connector.close()


def test_create_update_delete_round_trip(emu: Emulator, cc: ConstantContactConnector) -> None:
    """Sync rule W2: POST creates on the target list; PUT keeps what it does not change."""
    created = cc.create(sample_contact(1, "rt"))
    target = cc.ensure_list(cc.settings.target_list)
    assert created.fields["list_memberships"] == [target]
    updated = cc.update(created.id, {"job_title": "Head of Buying"})
    fresh = cc.get_many([created.id])[0].fields
    assert updated.fields["job_title"] == fresh["job_title"] == "Head of Buying"
    assert fresh["first_name"] == "Ann1" and fresh["company_name"] == "Nordic Parts AB"
    assert [p["phone_number"] for p in fresh["phone_numbers"]] == ["+46 8 555 0001"]
    assert fresh["street_addresses"][0]["city"] == "Uppsala"
    assert fresh["email_address"]["permission_to_send"] == "implicit"
    cc.delete(created.id)
    cc.delete(created.id)  # gone already is fine
    gone = cc.get_many([created.id, "00000000-0000-0000-0000-000000000000"])
    assert [(r.id, r.deleted) for r in gone] == [(created.id, True)]


def test_update_keeps_an_unsubscribe(emu: Emulator, cc: ConstantContactConnector) -> None:
    """Sync rule C5: a PUT of other fields never re-subscribes a contact who opted out."""
    created = cc.create(sample_contact(2, "consent"))
    emu.contact_unsubscribes(created.id)
    cc.update(created.id, {"first_name": "Still Out"})
    fresh = cc.get_many([created.id])[0].fields
    assert fresh["first_name"] == "Still Out"
    assert fresh["email_address"]["permission_to_send"] == "unsubscribed"
    assert fresh["email_address"]["opt_out_source"] == "Contact"


def test_create_conflict_names_holder_and_status(
    emu: Emulator, cc: ConstantContactConnector
) -> None:
    """Sync rule D4: POST of a deleted contact's email is a 409 naming the deleted holder."""
    holder = cc.create(sample_contact(3, "dup"))
    cc.delete(holder.id)
    twin = sample_contact(3, "dup")
    twin["email_address"]["address"] = "DUP.Person3@Example.com"  # case-insensitive
    with pytest.raises(RecordConflict) as info:
        cc.create(twin)
    assert info.value.holder_id == holder.id
    assert info.value.holder_status == "deleted"
    assert info.value.reason == "cc_email_in_use"


def test_email_change_onto_another_contact_is_a_conflict(
    emu: Emulator, cc: ConstantContactConnector
) -> None:
    """Sync rule I7: the update is skipped with cc_email_in_use naming that contact."""
    first = cc.create(sample_contact(4, "mail"))
    second = cc.create(sample_contact(5, "mail"))
    emu.contact_unsubscribes(first.id)
    with pytest.raises(RecordConflict) as info:
        cc.update(second.id, {"email_address": {"address": "mail.person4@example.com"}})
    assert (info.value.holder_id, info.value.holder_status) == (first.id, "unsubscribed")


def test_rejected_record_is_skippable(emu: Emulator, cc: ConstantContactConnector) -> None:
    """Bad input is a skipped record with CC's reason, never a crash."""
    bad = sample_contact(6, "bad")
    bad["first_name"] = "x" * 51
    with pytest.raises(SkippableRecordError) as info:
        cc.create(bad)
    assert info.value.reason == "cc_rejected"


def test_failed_create_that_went_through_is_found_not_resent(
    emu: Emulator, tmp_path: Path, closing: list[ConstantContactConnector]
) -> None:
    """Style lesson 4: a create is retried only after looking the email up.

    The POST answers 503, but (as if the server had stored it before failing) the contact
    exists when the retry comes: the look-up finds it and no second POST is sent.
    """
    address = "through.person8@example.com"
    made: list[str] = []

    def server_stored_it(entry: TraceEntry) -> None:
        if entry.method == "POST" and entry.status == 503 and not made:
            made.append(emu.owner_create(sample_contact(8, "through"))["contact_id"])

    cc = connector_for(emu, tmp_path, trace=server_stored_it)
    closing.append(cc)
    emu.faults([{"kind": "status", "status": 503, "count": 1, "method": "POST",
                 "path_prefix": "/v3/contacts"}])  # fmt: skip
    emu.clear_counters()
    created = cc.create(sample_contact(8, "through"))
    counts = emu.counters()["by_endpoint"]
    assert counts["POST /v3/contacts"] == 1
    assert counts["GET /v3/contacts"] == 1  # the look-up by email
    assert created.id == made[0]
    assert [
        c["contact_id"] for c in emu.all_contacts() if c["email_address"]["address"] == address
    ] == made


def test_timed_out_create_is_looked_up_before_it_is_resent(
    emu: Emulator, tmp_path: Path, closing: list[ConstantContactConnector]
) -> None:
    """A timeout: the look-up comes first, then the POST again; one contact in the end."""
    http = httpx2.Client(timeout=0.3)
    cc = connector_for(emu, tmp_path, http=http)
    closing.append(cc)
    slow = {
        "kind": "slow",
        "delay": 0.6,
        "count": 1,
        "method": "POST",
        "path_prefix": "/v3/contacts",
    }
    emu.faults([slow])
    emu.clear_counters()
    try:
        created = cc.create(sample_contact(7, "lost"))
    finally:
        http.close()
    assert emu.counters()["by_endpoint"]["GET /v3/contacts"] == 1
    address = "lost.person7@example.com"
    matches = [c for c in emu.all_contacts() if c["email_address"]["address"] == address]
    assert [c["contact_id"] for c in matches] == [created.id]
