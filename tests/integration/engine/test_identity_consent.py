"""Issue 9 items 2, 4, 5, 6: consent and identity that hold across runs, duplicates, list
scope, delete-and-recreate and refused email changes — end to end through both emulators."""

from __future__ import annotations

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
