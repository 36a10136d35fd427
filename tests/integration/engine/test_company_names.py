"""Company names: Vtiger's ``account_id`` is a reference; Constant Contact gets the name.

CRM → CC writes the organisation's name (read from ``Accounts``, cached); CC → CRM links the
contact to the organisation with exactly that name, or leaves it and says so in the run item.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from integration.engine.harness import World, by_email

pytestmark = pytest.mark.integration


def _account(world: World, name: str) -> str:
    body = {"fields": {"accountname": name}}
    return str(world.emus.post(world.emus.vt, "/_emulator/ui/accounts", body)["id"])


def _queries(world: World) -> int:
    url = world.emus.vt.base_url + "/_emulator/counters"
    data: dict[str, Any] = world.emus.http.get(url).json()
    return int(data["by_operation"].get("query", 0))


def _cc(world: World) -> dict[str, dict[str, Any]]:
    return by_email(world.cc_all(), cc=True)


def _crm(world: World) -> dict[str, dict[str, Any]]:
    return by_email(world.crm_all(), cc=False)


def test_crm_organisation_reaches_cc_as_its_name(world: World) -> None:
    acme = _account(world, "Acme & Söhne")
    linked = world.crm_create(lastname="Org", email="org@example.com", account_id=acme)
    plain = world.crm_create(lastname="Plain", email="plain@example.com")

    world.until_quiet()

    cc = _cc(world)
    assert cc["org@example.com"].get("company_name") == "Acme & Söhne"
    assert not cc["plain@example.com"].get("company_name")
    assert _crm(world)["org@example.com"]["account_id"] == acme, "the CRM link is untouched"

    # a change to a contact whose organisation is cached reads no account again
    world.crm_edit(plain, title="Edited")
    world.clear_counters()
    world.sync()
    without_account = _queries(world)
    world.crm_edit(linked, title="Edited")
    world.clear_counters()
    world.sync()
    assert _queries(world) == without_account
    quiet = world.until_quiet()
    assert quiet.writes == 0


def test_cc_company_links_the_organisation_of_that_name_or_says_why_not(world: World) -> None:
    acme, beta = _account(world, "Acme Corp"), _account(world, "Beta Ltd")
    world.crm_create(lastname="Org", email="org@example.com", account_id=acme)
    world.until_quiet()
    cc_id = world.links()[0].cc_id

    world.cc_edit(cc_id, company_name="Beta Ltd")
    world.until_quiet()
    assert _crm(world)["org@example.com"]["account_id"] == beta
    assert _cc(world)["org@example.com"]["company_name"] == "Beta Ltd"

    world.cc_edit(cc_id, company_name="Nowhere Inc")
    result = world.sync()
    assert result.run_id is not None
    assert _crm(world)["org@example.com"]["account_id"] == beta, "left alone"
    items = [i for i in world.items(result.run_id) if i.side == "crm"]
    assert any("Nowhere Inc" in (i.message or "") for i in items), items
    assert world.until_quiet().writes == 0, "no ping-pong of the company"
    assert _cc(world)["org@example.com"]["company_name"] == "Nowhere Inc"
    assert _crm(world)["org@example.com"]["account_id"] == beta

    world.cc_create("new@example.com", last_name="New", company_name="Acme Corp")
    world.until_quiet()
    created = _crm(world)["new@example.com"]
    assert created["account_id"] == acme
    for row in world.cc_all():
        assert not re.fullmatch(r"\d+x\d+", row.get("company_name") or ""), row
