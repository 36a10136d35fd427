"""First sync both ways, matching by email, consent on a first run, quiet run (sync rule Q3)."""

from __future__ import annotations

import pytest

from integration.engine.harness import World, by_email

pytestmark = pytest.mark.integration


def test_first_sync_both_ways_links_overlap_by_email(world: World) -> None:
    world.crm_create(firstname="Ann", lastname="Lee", email="ann@example.com")
    world.cc_create("bob@example.com", first_name="Bob", last_name="Stone")
    crm_both = world.crm_create(firstname="Cy", lastname="Both", email="Both@Example.com")
    cc_both = world.cc_create("both@example.com", first_name="Cyrus", job_title="CTO")

    result = world.sync()

    assert result.status == "succeeded", result.error
    assert result.counts["cc"]["created"] == 1 and result.counts["crm"]["created"] == 1
    crm, cc = by_email(world.crm_all(), cc=False), by_email(world.cc_all(), cc=True)
    assert set(crm) == set(cc) == {"ann@example.com", "bob@example.com", "both@example.com"}
    assert len(world.crm_all()) == 3 and len(world.cc_all()) == 3
    pairs = {(link.crm_id, link.cc_id) for link in world.links()}
    assert (crm_both, cc_both) in pairs and len(pairs) == 3
    # first pairing: empty fields take the other side's value; the email is not rewritten
    assert crm["both@example.com"]["title"] == "CTO"
    assert crm["both@example.com"]["email"] == "Both@Example.com"
    assert [c["field"] for c in result.conflicts] == ["firstname"]


def test_first_sync_of_crm_opt_outs_creates_no_sendable_cc_contact(world: World) -> None:
    crm_id = world.crm_create(lastname="Quiet", email="quiet@example.com", emailoptout="1")
    world.crm_create(lastname="Loud", email="loud@example.com")

    result = world.sync()

    cc = by_email(world.cc_all(deleted=True), cc=True)
    assert "quiet@example.com" not in cc
    assert cc["loud@example.com"]["email_address"]["permission_to_send"] != "unsubscribed"
    skipped = [i for i in world.items(result.run_id or 0) if i.action == "skipped"]
    assert [(i.crm_id, i.reason) for i in skipped] == [(crm_id, "crm_opted_out_not_in_cc")]


def test_quiet_run_costs_at_most_four_requests_per_provider(world: World) -> None:
    for n in range(3):
        world.crm_create(lastname=f"Crm{n}", email=f"crm{n}@example.com")
        world.cc_create(f"cc{n}@example.com", last_name=f"Cc{n}")
    world.until_quiet()
    world.clear_counters()

    result = world.sync()

    assert result.writes == 0
    counted = world.counters()
    assert counted["crm"] <= 4 and counted["cc"] <= 4, counted
    assert result.calls == counted


def test_a_second_run_writes_nothing_and_the_pairs_are_equal(world: World) -> None:
    world.crm_create(firstname="Dee", lastname="Ray", email="dee@example.com", mailingcity="Oslo")
    world.cc_create("eve@example.com", first_name="Eve", last_name="Moss")
    world.sync()

    second = world.sync()

    assert second.writes == 0, second.counts
    crm, cc = by_email(world.crm_all(), cc=False), by_email(world.cc_all(), cc=True)
    assert cc["dee@example.com"]["street_addresses"][0]["city"] == "Oslo"
    assert crm["eve@example.com"]["firstname"] == "Eve"
