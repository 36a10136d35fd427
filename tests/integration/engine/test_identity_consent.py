"""Issue 9 items 2, 4, 5, 6: consent and identity that hold across runs, duplicates, list
scope, delete-and-recreate and refused email changes — end to end through both emulators."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest

from integration.engine.harness import World

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


def _live_links(world: World) -> list[tuple[str, str]]:
    return sorted((link.crm_id, link.cc_id) for link in world.links() if not link.tombstoned)


# --- item 5: delete and re-create ---------------------------------------------------------


def test_crm_delete_and_recreate_with_the_same_email_takes_the_cc_contact_over(
    world: World,
) -> None:
    old, cc_id = _pair(world)
    world.crm_delete(old)
    new = world.crm_create(firstname="Pat", lastname="Kimura", email="Pat@Example.com")

    result = world.sync()

    contact = _cc(world, cc_id)
    assert not contact.get("deleted_at"), "the person is not deleted in Constant Contact"
    assert contact["last_name"] == "Kimura"
    assert result.counts["cc"]["deleted"] == 0 and result.counts["cc"]["updated"] == 1
    assert _live_links(world) == [(new, cc_id)]
    notes = [i.message or "" for i in world.items(result.run_id or 0)]
    assert any("took over" in n for n in notes), notes
    assert world.until_quiet().writes == 0
    assert len(world.cc_all()) == 1 and len(world.crm_all()) == 1


# --- item 2: list scope never breaks consent ----------------------------------------------


def test_list_scope_linked_unsubscribe_reaches_vtiger_and_sticks(world: World) -> None:
    world.set(cc_scope="lists")
    crm_id, cc_id = _pair(world)
    world.cc_unsubscribe(cc_id)  # CC drops every list membership of the contact

    world.until_quiet()

    assert _crm(world, crm_id)["emailoptout"] == "1"
    world.crm_edit(crm_id, emailoptout="0")
    world.until_quiet()
    assert _crm(world, crm_id)["emailoptout"] == "1", "sync rule C3: sticky while CC unsubscribed"
    assert _cc(world, cc_id)["email_address"]["permission_to_send"] == "unsubscribed"


def test_list_scope_off_list_unsubscribe_is_never_created_in_vtiger(world: World) -> None:
    world.set(cc_scope="lists")
    _pair(world)
    stranger = world.cc_create("stranger@example.com", last_name="Stranger")
    world.until_quiet()
    world.cc_unsubscribe(stranger)

    world.until_quiet()

    assert [c["email"] for c in world.crm_all()] == ["pat@example.com"]
    assert [link.cc_id for link in world.links()] != [stranger]
    assert len(world.links()) == 1


def test_list_scope_off_list_unsubscribe_sets_opt_out_of_vtiger_twins(world: World) -> None:
    world.set(cc_scope="lists")
    off = world.cc_create("twin@example.com", last_name="Twin")  # not on the synced list
    crm_id = world.crm_create(lastname="Twin", email="Twin@example.com")
    world.until_quiet()
    world.cc_unsubscribe(off)

    world.until_quiet()

    assert _crm(world, crm_id)["emailoptout"] == "1"
    assert all(link.cc_id != off for link in world.links()), "off-list: never linked"
    assert len(world.crm_all()) == 1


# --- item 4: consent holds across runs and duplicates -------------------------------------


def test_opted_out_duplicate_keeps_a_later_twin_from_being_subscribed(world: World) -> None:
    world.crm_create(lastname="Bee", email="dup@example.com", emailoptout="1")
    world.until_quiet()
    assert world.cc_all() == [], "sync rule C5: an opted-out contact is not created in CC"
    world.crm_create(lastname="Ay", email="DUP@Example.com")

    result = world.sync()
    world.until_quiet()

    reasons = [i.reason for i in world.items(result.run_id or 0)]
    assert "crm_twin_opted_out" in reasons, reasons
    for contact in world.cc_all():
        assert contact["email_address"]["permission_to_send"] == "unsubscribed", contact


def test_duplicate_opting_out_unsubscribes_the_linked_person(world: World) -> None:
    crm_a, cc_id = _pair(world, "same@example.com")
    crm_b = world.crm_create(lastname="Other", email="Same@Example.com")
    world.until_quiet()  # B: email_already_linked
    world.crm_edit(crm_b, emailoptout="1")

    world.until_quiet()

    assert _cc(world, cc_id)["email_address"]["permission_to_send"] == "unsubscribed"
    assert _crm(world, crm_a)["emailoptout"] == "1", "unsubscribed in CC → linked contact too"


@contextmanager
def _one_instant(world: World) -> Iterator[None]:
    """Both emulators' clocks stopped at one instant half a second into a later second."""
    emus = world.emus
    now = datetime.fromisoformat(emus.http.get(emus.cc.base_url + "/_emulator/clock").json()["now"])
    instant = (now + timedelta(seconds=5)).replace(microsecond=500_000).isoformat()
    for proc in (emus.vt, emus.cc):
        emus.post(proc, "/_emulator/clock", {"set": instant, "freeze": True})
    yield
    for proc in (emus.vt, emus.cc):
        emus.post(proc, "/_emulator/clock", {"freeze": False})


def _duplicate_opts_out(world: World) -> tuple[str, str, str]:
    """A linked pair, then a Vtiger duplicate with its email opted out: the person is
    unsubscribed in CC (sync rule C6), so the linked contact is opted out too (C1)."""
    crm_a, cc_id = _pair(world, "same@example.com")
    crm_b = world.crm_create(lastname="Other", email="Same@Example.com", emailoptout="1")
    world.until_quiet()
    assert _cc(world, cc_id)["email_address"]["permission_to_send"] == "unsubscribed"
    assert _crm(world, crm_a)["emailoptout"] == "1"
    return crm_a, crm_b, cc_id


def test_resubscription_clears_an_older_opt_out_of_a_duplicate(world: World) -> None:
    """Sync rule C4 beyond the pair (seed 24): the person re-subscribes in CC after the
    duplicate's opt-out; both Vtiger contacts lose Email Opt Out, the person stays subscribed."""
    crm_a, crm_b, cc_id = _duplicate_opts_out(world)
    world.later()
    world.cc_resubscribe(cc_id)

    result = world.sync()
    world.until_quiet()

    assert _cc(world, cc_id)["email_address"]["permission_to_send"] != "unsubscribed"
    assert (_crm(world, crm_a)["emailoptout"], _crm(world, crm_b)["emailoptout"]) == ("0", "0")
    cleared = [i for i in world.items(result.run_id or 0) if i.reason == "cc_resubscribed"]
    assert [(i.side, i.action, i.crm_id) for i in cleared] == [("crm", "updated", crm_b)]


def test_opt_out_as_new_as_the_resubscription_wins(world: World) -> None:
    """Sync rule C6: a duplicate opted out in the same second as the re-subscription (Vtiger
    keeps whole seconds) keeps its opt-out, and the person is unsubscribed again."""
    crm_a, crm_b, cc_id = _duplicate_opts_out(world)
    world.later()
    world.crm_edit(crm_b, emailoptout="0")
    world.until_quiet()
    with _one_instant(world):  # the same half-second on both clocks
        world.crm_edit(crm_b, emailoptout="1")
        world.cc_resubscribe(cc_id)

    world.until_quiet()

    assert _cc(world, cc_id)["email_address"]["permission_to_send"] == "unsubscribed"
    assert _crm(world, crm_b)["emailoptout"] == "1"


# --- item 6: a refused email change stays pending and visible -----------------------------


def test_refused_email_change_is_retried_when_either_side_changes(world: World) -> None:
    crm_id, cc_id = _pair(world)
    holder = world.cc_create("taken@example.com", last_name="Holder")
    world.cc_delete(holder)
    world.until_quiet()
    world.crm_edit(crm_id, email="taken@example.com")
    first = world.sync()
    assert [i.reason for i in world.items(first.run_id or 0)] == ["cc_email_in_use"]

    world.cc_edit(cc_id, first_name="Patricia")
    second = world.sync()

    reasons = [i.reason for i in world.items(second.run_id or 0)]
    assert "cc_email_in_use" in reasons, reasons
    assert _crm(world, crm_id)["firstname"] == "Patricia"
    world.until_quiet()
    link = next(link for link in world.links() if link.crm_id == crm_id)
    assert link.pending == "cc_email_in_use"
    assert (link.crm_snapshot or {}).get("email") == (link.cc_snapshot or {}).get("email")
    world.crm_edit(crm_id, email="pat.free@example.com")
    world.until_quiet()
    assert _cc(world, cc_id)["email_address"]["address"] == "pat.free@example.com"
    link = next(link for link in world.links() if link.crm_id == crm_id)
    assert link.pending is None
