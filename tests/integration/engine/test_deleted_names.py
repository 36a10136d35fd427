"""Issue 11 item 8: a deleted record keeps its name in the Sync Log drill-down.

The side that still has the record is often not read in the run that sees the delete (nothing
changed there), so the name comes from the pair's last-synced snapshot.
"""

from __future__ import annotations

import pytest

from integration.engine.harness import World

pytestmark = pytest.mark.integration


def _pair(world: World) -> tuple[str, str]:
    crm_id = world.crm_create(firstname="Delia", lastname="Gone", email="delia@example.com")
    world.until_quiet()
    link = next(link for link in world.links() if link.crm_id == crm_id)
    return crm_id, link.cc_id


def test_a_contact_deleted_in_vtiger_is_named_in_its_run_items(world: World) -> None:
    crm_id, _cc_id = _pair(world)
    world.crm_delete(crm_id)

    result = world.sync()

    assert result.counts["cc"]["deleted"] == 1
    assert result.run_id is not None
    deleted = [i for i in world.items(result.run_id) if i.action == "deleted"]
    assert [i.record_name for i in deleted] == ["Delia Gone"]


def test_a_contact_deleted_in_constant_contact_is_named_in_its_run_items(world: World) -> None:
    _crm_id, cc_id = _pair(world)
    world.cc_delete(cc_id)

    result = world.sync()

    assert result.counts["crm"]["deleted"] == 1
    assert result.run_id is not None
    deleted = [i for i in world.items(result.run_id) if i.action == "deleted"]
    assert [i.record_name for i in deleted] == ["Delia Gone"]
