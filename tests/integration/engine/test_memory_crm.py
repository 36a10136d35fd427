"""A two-way sync between a third connector and Constant Contact (issue 12's proof of genericity).

The CRM role is played by the in-memory CRM of ``tests/support/memory_connector.py`` — neither
Vtiger nor Constant Contact, and with no optional capability — registered as provider ``memory``
(no settings model) and chosen by the connector's ``sync.crm_provider`` setting; the
email-marketing role is the Constant Contact emulator. Runs go through the jobs backend, as the
CLI starts them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ccsync.connectors.provider_config import ProviderConfig
from ccsync.connectors.registry import BuildContext, Provider, register, unregister
from ccsync.engine.config import settings_patch
from ccsync.engine.result import RunResult
from ccsync.jobs.backend import ForegroundBackend
from ccsync.store import repos
from integration.engine.harness import World, by_email
from support.memory_connector import MemoryConnector, MemoryCrm

pytestmark = pytest.mark.integration


@pytest.fixture
def crm(world: World) -> Iterator[MemoryCrm]:
    """An empty in-memory CRM, the CRM side of the world's connector."""
    server = MemoryCrm()
    built: list[MemoryConnector] = []

    def build(ctx: BuildContext) -> MemoryConnector:
        assert ctx.connector_id == world.connector_id
        assert type(ctx.config) is ProviderConfig  # a provider with no settings model
        built.append(MemoryConnector(server))
        return built[-1]

    register(Provider("memory", "crm", build))
    with world.sessions.begin() as session:
        patch = settings_patch(crm_provider="memory")
        assert patch == {"sync": {"crm_provider": "memory"}}
        repos.update_connector_settings(session, world.connector_id, patch)
    try:
        yield server
    finally:
        unregister("memory")
    assert built and all(c.closed for c in built), "every run built the CRM and closed it"


def _run(world: World) -> RunResult:
    result = ForegroundBackend(world.settings).run_now(world.connector_id, "test", confirm=True)
    assert result.status == "succeeded", (result.status, result.error)
    return result


def _quiet(world: World) -> None:
    for _ in range(3):
        if _run(world).writes == 0:
            return
    raise AssertionError("the sync does not settle")


def _later(world: World, crm: MemoryCrm) -> None:
    crm.advance(2)
    world.later()


def _crm_by_email(crm: MemoryCrm) -> dict[str, dict[str, str]]:
    return {r["email"]: r for r in crm.live().values()}


def _cc(world: World, email: str) -> dict[str, Any]:
    return by_email(world.cc_all(deleted=True), cc=True)[email]


def test_two_way_sync_between_a_memory_crm_and_constant_contact(
    world: World, crm: MemoryCrm
) -> None:
    ada = crm.person_create(firstname="Ada", lastname="Byron", email="ada@example.com")
    grace = world.cc_create("grace@example.com", first_name="Grace", last_name="Hopper")

    first = _run(world)  # creates both ways
    assert first.counts["cc"]["created"] == 1 and first.counts["crm"]["created"] == 1
    assert _cc(world, "ada@example.com")["last_name"] == "Byron"
    assert _crm_by_email(crm)["grace@example.com"]["lastname"] == "Hopper"
    assert len(world.links()) == 2
    _quiet(world)

    _later(world, crm)  # an update each way
    crm.person_edit(ada, title="Countess")
    world.cc_edit(grace, job_title="Rear Admiral")
    updated = _run(world)
    assert updated.counts["cc"]["updated"] == 1 and updated.counts["crm"]["updated"] == 1
    assert _cc(world, "ada@example.com")["job_title"] == "Countess"
    assert _crm_by_email(crm)["grace@example.com"]["title"] == "Rear Admiral"
    _quiet(world)

    _later(world, crm)  # a delete each way (both delete policies mirror)
    crm.person_delete(ada)
    world.cc_delete(grace)
    deleted = _run(world)
    assert deleted.counts["cc"]["deleted"] == 1 and deleted.counts["crm"]["deleted"] == 1
    assert _cc(world, "ada@example.com")["deleted_at"]
    assert crm.live() == {}
    _quiet(world)
    assert world.cc_all() == []
