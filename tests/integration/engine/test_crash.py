"""A crash at any write, followed by new runs, converges with no duplicate and no lost update."""

from __future__ import annotations

from collections import Counter

import pytest

from ccsync.domain.normalize import email_key
from ccsync.engine import outcome
from ccsync.store import repos
from integration.engine.harness import World, by_email

pytestmark = pytest.mark.integration


class SimulatedCrash(BaseException):
    """Stands for a kill: nothing after it runs, nothing uncommitted survives."""


def crash_at(k: int) -> None:
    """Make the k-th remote write of the next run crash before it is sent."""
    seen = {"n": 0}

    def hook(kind: str) -> None:
        seen["n"] += 1
        if seen["n"] == k:
            outcome.write_hook = None
            raise SimulatedCrash(kind)

    outcome.write_hook = hook


def _emails(rows: list[dict], cc: bool) -> Counter[str]:
    keys = []
    for row in rows:
        address = row["email_address"]["address"] if cc else row.get("email", "")
        keys.append(email_key(address) or "")
    return Counter(keys)


@pytest.mark.parametrize("k", [1, 2, 3, 5, 7])
def test_crash_at_kth_write_converges_without_duplicates(world: World, k: int) -> None:
    linked = world.crm_create(firstname="Lin", lastname="Ked", email="linked@example.com")
    world.until_quiet()
    cc_linked = world.links()[0].cc_id
    for n in range(3):
        world.crm_create(lastname=f"Crm{n}", email=f"crm{n}@example.com")
        world.cc_create(f"cc{n}@example.com", last_name=f"Cc{n}")
    world.crm_edit(linked, title="Edited in CRM")
    world.cc_edit(cc_linked, first_name="Edited in CC")
    crash_at(k)

    with pytest.raises(SimulatedCrash):
        world.sync()
    world.until_quiet()

    crm_rows, cc_rows = world.crm_all(), world.cc_all()
    assert max(_emails(crm_rows, cc=False).values()) == 1, _emails(crm_rows, cc=False)
    assert max(_emails(cc_rows, cc=True).values()) == 1, _emails(cc_rows, cc=True)
    assert len(crm_rows) == len(cc_rows) == 7 == len(world.links())
    crm, cc = by_email(crm_rows, cc=False), by_email(cc_rows, cc=True)
    assert crm["linked@example.com"]["title"] == "Edited in CRM"
    assert crm["linked@example.com"]["firstname"] == "Edited in CC"
    assert cc["linked@example.com"]["job_title"] == "Edited in CRM"
    assert cc["linked@example.com"]["first_name"] == "Edited in CC"


def test_crash_in_the_first_run_then_a_delete_is_still_mirrored(world: World) -> None:
    for n in range(3):
        world.cc_create(f"first{n}@example.com", last_name=f"First{n}")
    crash_at(2)
    with pytest.raises(SimulatedCrash):
        world.sync()
    made = world.links()
    assert len(made) == 1, "one Vtiger contact was created and linked before the crash"
    world.crm_delete(made[0].crm_id)

    world.until_quiet()

    cc = {c["contact_id"]: c for c in world.cc_all(deleted=True)}
    assert cc[made[0].cc_id].get("deleted_at"), "the delete was mirrored"
    assert len(world.crm_all()) == 2 and len(world.cc_all()) == 2


def test_an_unexpected_exception_is_recorded_with_its_class_and_a_redacted_message(
    world: World,
) -> None:
    world.crm_create(lastname="Boom", email="boom@example.com")

    def hook(kind: str) -> None:
        outcome.write_hook = None
        raise RuntimeError(f"bug before a {kind} write; refresh_token=s3cr3t-value")

    outcome.write_hook = hook
    with pytest.raises(RuntimeError):
        world.sync()

    with world.sessions() as session:
        (run,) = repos.list_runs(session, world.connector_id, limit=1)
    assert run.status == "failed"
    assert run.error is not None and run.error.startswith("unexpected RuntimeError: bug before")
    assert "s3cr3t-value" not in run.error and "refresh_token=***" in run.error
