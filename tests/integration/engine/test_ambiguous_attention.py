"""Ambiguous Vtiger duplicates reach "needs attention" once, with what a person needs to choose.

Two Vtiger contacts share an address (in different letter case) that a Constant Contact contact
holds: neither is synced, and the item lists the address (not a name), the CC contact and each
candidate with its name and email as written, once however many runs see the case.
"""

from __future__ import annotations

import pytest

from ccsync.store import repos
from integration.engine.harness import World

pytestmark = pytest.mark.integration


def test_ambiguous_duplicates_are_listed_once_with_address_names_and_records(
    world: World,
) -> None:
    cc_id = world.cc_create("olafur@example.com", first_name="Ólafur", last_name="Núñez")
    one = world.crm_create(firstname="Ólafur", lastname="Núñez", email="olafur@example.com")
    two = world.crm_create(firstname="Oli", lastname="Nunez", email="Olafur@Example.com")

    world.until_quiet()
    world.crm_edit(two, title="Buyer")  # a later run sees the case again
    world.until_quiet()

    with world.sessions.begin() as session:
        items = repos.list_attention(session, world.connector_id)
    listed = [(i.kind, i.email) for i in items]
    assert listed == [("ambiguous_crm_duplicates", "olafur@example.com")], "once, by address"
    assert sorted(items[0].candidates, key=lambda c: c["crm_id"]) == sorted(
        [
            {"crm_id": one, "name": "Ólafur Núñez", "email": "olafur@example.com", "cc_id": cc_id},
            {"crm_id": two, "name": "Oli Nunez", "email": "Olafur@Example.com", "cc_id": cc_id},
        ],
        key=lambda c: c["crm_id"],
    )
    assert world.links() == [], "an ambiguous case links nothing"
