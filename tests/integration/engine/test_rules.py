"""Sync rules (docs/sync-rules.md) that involve I/O, end to end through both emulators.

Test names keep the numbers of the product spec's list: rule1–rule4 are sync rules C1–C4,
rule8 I7, rule9 D1, rule10 D4, rule12 D6.
"""

from __future__ import annotations

import pytest

from integration.engine.harness import World, by_email

pytestmark = pytest.mark.integration


def _pair(world: World, email: str = "pat@example.com", **crm: str) -> tuple[str, str]:
    crm_id = world.crm_create(firstname="Pat", lastname="Kim", email=email, **crm)
    world.until_quiet()
    link = next(link for link in world.links() if link.crm_id == crm_id)
    return crm_id, link.cc_id


def _cc(world: World, cc_id: str) -> dict:
    return next(c for c in world.cc_all(deleted=True) if c["contact_id"] == cc_id)


def _crm(world: World, crm_id: str) -> dict:
    return next(c for c in world.crm_all(deleted=True) if c["id"] == crm_id)


def test_crm_edit_reaches_cc_with_a_full_put(world: World) -> None:
    crm_id, cc_id = _pair(world, phone="+1 555 0100")
    world.crm_edit(crm_id, title="Chief", mailingcity="Lyon")
    result = world.until_quiet()
    contact = _cc(world, cc_id)
    assert contact["job_title"] == "Chief"
    assert contact["street_addresses"][0]["city"] == "Lyon"
    assert contact["first_name"] == "Pat" and contact["phone_numbers"], "PUT kept the rest"
    assert result.writes == 0


def test_cc_edit_reaches_vtiger(world: World) -> None:
    crm_id, cc_id = _pair(world)
    world.cc_edit(cc_id, first_name="Patricia")
    first = world.sync()
    assert first.counts["crm"]["updated"] == 1
    assert _crm(world, crm_id)["firstname"] == "Patricia"


def test_both_sides_edit_different_fields_merge(world: World) -> None:
    crm_id, cc_id = _pair(world)
    world.crm_edit(crm_id, title="Boss")
    world.cc_edit(cc_id, first_name="Patty")
    world.until_quiet()
    assert _crm(world, crm_id)["firstname"] == "Patty"
    assert _crm(world, crm_id)["title"] == "Boss"
    assert _cc(world, cc_id)["job_title"] == "Boss" and _cc(world, cc_id)["first_name"] == "Patty"


def test_email_change_is_written_to_the_linked_record(world: World) -> None:
    crm_id, cc_id = _pair(world)
    world.crm_edit(crm_id, email="pat.kim@example.com")
    world.until_quiet()
    assert _cc(world, cc_id)["email_address"]["address"] == "pat.kim@example.com"
    assert len(world.cc_all()) == 1


def test_rule1_cc_unsubscribe_sets_vtiger_email_opt_out(world: World) -> None:
    crm_id, cc_id = _pair(world)
    world.set(direction="crm_to_cc")  # consent flows whatever the direction
    world.cc_unsubscribe(cc_id)
    world.until_quiet()
    assert _crm(world, crm_id)["emailoptout"] == "1"


def test_rule2_crm_opt_out_unsubscribes_in_cc(world: World) -> None:
    crm_id, cc_id = _pair(world)
    world.crm_edit(crm_id, emailoptout="1")
    world.until_quiet()
    address = _cc(world, cc_id)["email_address"]
    assert address["permission_to_send"] == "unsubscribed"
    assert address.get("opt_out_source") == "Account"


def test_rule3_optout_is_sticky_while_cc_says_unsubscribed(world: World) -> None:
    crm_id, cc_id = _pair(world)
    world.cc_unsubscribe(cc_id)
    world.until_quiet()
    world.crm_edit(crm_id, emailoptout="0")
    world.until_quiet()
    assert _crm(world, crm_id)["emailoptout"] == "1"
    assert _cc(world, cc_id)["email_address"]["permission_to_send"] == "unsubscribed"


def test_rule4_contact_resubscribing_clears_vtiger_opt_out(world: World) -> None:
    crm_id, cc_id = _pair(world)
    world.cc_unsubscribe(cc_id)
    world.until_quiet()
    world.cc_resubscribe(cc_id)
    world.until_quiet()
    assert _crm(world, crm_id)["emailoptout"] == "0"


def test_rule9_crm_delete_is_mirrored_and_tombstoned(world: World) -> None:
    crm_id, cc_id = _pair(world)
    world.crm_delete(crm_id)
    result = world.sync()
    assert result.counts["cc"]["deleted"] == 1
    assert _cc(world, cc_id).get("deleted_at")
    assert world.until_quiet().writes == 0
    assert world.crm_all() == [] and world.cc_all() == []


def test_rule9_cc_delete_is_mirrored_in_vtiger(world: World) -> None:
    crm_id, cc_id = _pair(world)
    world.cc_delete(cc_id)
    world.until_quiet()
    assert _crm(world, crm_id)["deleted"] is True
    assert world.crm_all() == []


def test_rule9_ignore_policy_only_unlinks(world: World) -> None:
    crm_id, cc_id = _pair(world)
    world.set(crm_delete_policy="ignore")
    world.crm_delete(crm_id)
    world.until_quiet()
    assert not _cc(world, cc_id).get("deleted_at")


def test_rule10_new_crm_contact_revives_a_deleted_cc_twin(world: World) -> None:
    """Sync rule D4: a Vtiger contact created after the CC delete revives the contact."""
    cc_id = world.cc_create("gone@example.com", last_name="Gone")
    world.cc_delete(cc_id)
    world.until_quiet()
    world.later()
    world.crm_create(lastname="Back", email="gone@example.com")
    result = world.until_quiet()
    contact = _cc(world, cc_id)
    assert not contact.get("deleted_at"), "revived with PUT, same contact"
    assert contact["last_name"] == "Back"
    assert len(world.cc_all(deleted=True)) == 1
    assert result.writes == 0


def test_a_vtiger_contact_older_than_the_cc_delete_revives_nothing(world: World) -> None:
    """Sync rule D7: the person's delete is newer than the Vtiger contact (or in the same
    second): the delete stands, the contact is skipped cc_twin_deleted."""
    crm_id = world.crm_create(lastname="Older", email="old@example.com")
    cc_id = world.cc_create("old@example.com", last_name="Old")
    world.cc_delete(cc_id)
    result = world.sync()
    items = [i for i in world.items(result.run_id or 0) if i.crm_id == crm_id]
    assert [i.reason for i in items] == ["cc_twin_deleted"]
    assert world.until_quiet().writes == 0
    assert _cc(world, cc_id).get("deleted_at"), "the deleted contact stays deleted"


def test_rule8_email_taken_by_another_cc_contact_is_skipped(world: World) -> None:
    crm_id, cc_id = _pair(world)
    world.cc_create("taken@example.com", last_name="Other")
    world.until_quiet()
    world.crm_edit(crm_id, email="taken@example.com")
    result = world.sync()
    items = [i for i in world.items(result.run_id or 0) if i.reason == "cc_email_in_use"]
    assert items and items[0].cc_id == cc_id
    assert _cc(world, cc_id)["email_address"]["address"] == "pat@example.com"


def test_no_email_and_missing_last_name_are_skipped_with_reasons(world: World) -> None:
    world.crm_create(lastname="NoMail")
    world.cc_create("nolast@example.com", first_name="Only")
    result = world.sync()
    reasons = {i.reason for i in world.items(result.run_id or 0) if i.action == "skipped"}
    assert "no_email" in reasons
    crm = by_email(world.crm_all(), cc=False)
    assert "nolast@example.com" not in crm or crm["nolast@example.com"]["lastname"]
    again = world.sync()
    assert again.counts["crm"]["skipped"] == 0 and again.counts["cc"]["skipped"] == 0


def test_a_crm_record_ccsync_created_and_a_person_deleted_is_mirrored(world: World) -> None:
    cc_id = world.cc_create("made@example.com", last_name="Made")
    world.sync()
    crm_id = world.links()[0].crm_id
    world.crm_delete(crm_id)  # before any later read returned the record
    world.until_quiet()
    assert _cc(world, cc_id).get("deleted_at")


def test_rule12_crm_delete_and_cc_change_the_change_wins(world: World) -> None:
    cc_id = world.cc_create("wins@example.com", last_name="Wins")
    world.sync()
    crm_id = world.links()[0].crm_id
    world.cc_unsubscribe(cc_id)
    world.crm_delete(crm_id)
    world.until_quiet()
    live = world.crm_all()
    assert len(live) == 1 and live[0]["id"] != crm_id and live[0]["emailoptout"] == "1"
    assert not _cc(world, cc_id).get("deleted_at")


def test_rule10_revived_unsubscribed_contact_stays_unsubscribed_and_opts_out_crm(
    world: World,
) -> None:
    cc_id = world.cc_create("was@example.com", last_name="Was")
    world.cc_unsubscribe(cc_id)
    world.cc_delete(cc_id)
    world.until_quiet()
    world.later()
    crm_id = world.crm_create(lastname="Again", email="was@example.com")
    world.until_quiet()
    contact = _cc(world, cc_id)
    assert not contact.get("deleted_at")
    assert contact["email_address"]["permission_to_send"] == "unsubscribed"
    assert _crm(world, crm_id)["emailoptout"] == "1"
