"""The run right after a bulk import is quiet and cheap, yet loses no change made meanwhile.

The CC change read looks back 300 s before the previous run's start, and a bulk import lands
inside that window: without care the next run reads every imported contact again (one call per
500). The import's read-back already showed them, so the next read leaves them out — but still
sees people's edits during the import, contacts they created meanwhile, and later edits.
"""

from __future__ import annotations

import pytest

from ccsync.engine import outcome
from integration.engine.harness import World, by_email

pytestmark = pytest.mark.integration

SEEDED = 2400  # seeded Vtiger contacts; more than 1,500 are imported (3 pages of 500 and more)


def test_quiet_run_after_a_bulk_import_costs_at_most_four_calls_per_side(world: World) -> None:
    world.emus.post(world.emus.vt, "/_emulator/reset", {"seed_contacts": SEEDED})
    first = world.sync()
    assert first.status == "succeeded", first.error
    assert first.counts["cc"]["created"] > 1500

    world.clear_counters()
    quiet = world.sync()

    assert quiet.status == "succeeded" and quiet.writes == 0, quiet.counts
    calls = world.counters()
    assert calls["cc"] <= 4 and calls["crm"] <= 4, calls


def test_changes_made_during_and_after_the_import_are_all_seen(world: World) -> None:
    before = world.cc_create("before@example.com", last_name="Before")
    for n in range(8):
        world.crm_create(lastname=f"Imp{n}", email=f"imp{n}@example.com")
    world.until_quiet()
    for n in range(8, 16):
        world.crm_create(lastname=f"Imp{n}", email=f"imp{n}@example.com")

    def person_acts(kind: str) -> None:
        if kind == "cc.import":  # while the sync imports, the owner works in CC
            outcome.write_hook = None
            world.cc_edit(before, job_title="Edited during the import")
            world.cc_create("during@example.com", last_name="During")

    outcome.write_hook = person_acts
    imported = world.sync()
    assert imported.counts["cc"]["created"] == 8, imported.counts
    imp = by_email(world.cc_all(), cc=True)["imp12@example.com"]["contact_id"]
    world.cc_edit(imp, first_name="Edited after the import")

    world.until_quiet()

    crm = by_email(world.crm_all(), cc=False)
    assert crm["before@example.com"]["title"] == "Edited during the import"
    assert "during@example.com" in crm, "a contact created in CC during the import"
    assert crm["imp12@example.com"]["firstname"] == "Edited after the import"
