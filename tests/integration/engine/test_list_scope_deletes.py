"""List scope (CC scope = the target list): deletes and leaving the list, end to end.

CC removes every list membership of a contact it deletes, so a change read scoped to the list
never returns the deleted contact; the delete must still reach Vtiger (mirror policy). A contact
that merely leaves the list is out of scope: unlinked, never deleted in the CRM.
"""

from __future__ import annotations

import pytest

from integration.engine.harness import World

pytestmark = pytest.mark.integration


def _pair(world: World) -> tuple[str, str]:
    crm_id = world.crm_create(firstname="Lee", lastname="Park", email="lee@example.com")
    world.until_quiet()
    link = next(link for link in world.links() if link.crm_id == crm_id)
    return crm_id, link.cc_id


def test_list_scope_cc_delete_reaches_vtiger(world: World) -> None:
    world.set(cc_scope="lists")
    crm_id, cc_id = _pair(world)

    world.cc_delete(cc_id)
    result = world.sync()

    assert result.counts["crm"]["deleted"] == 1
    assert crm_id not in {c["id"] for c in world.crm_all()}
    assert world.until_quiet().writes == 0
    assert [c["contact_id"] for c in world.cc_all()] == []


def test_list_scope_leaving_the_list_unlinks_and_deletes_nothing(world: World) -> None:
    world.set(cc_scope="lists")
    crm_id, cc_id = _pair(world)

    world.cc_edit(cc_id, list_memberships=[])
    result = world.sync()

    reasons = [(i.crm_id, i.reason) for i in world.items(result.run_id or 0)]
    assert reasons == [(crm_id, "out_of_scope")], "the Sync Log says why it no longer syncs"
    world.until_quiet()

    assert crm_id in {c["id"] for c in world.crm_all()}, "never deleted in the CRM"
    assert cc_id in {c["contact_id"] for c in world.cc_all()}
    assert not [link for link in world.links() if link.cc_id == cc_id and not link.tombstoned]
