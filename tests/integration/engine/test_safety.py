"""Preview stop, circuit breaker with Confirm / Discard, retry queue and dead letters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from ccsync.store import repos
from ccsync.store.models import RetryEntry
from integration.engine.harness import World

pytestmark = pytest.mark.integration


def _make_due(world: World) -> None:
    """Pull every retry entry's next attempt into the past (instead of waiting the backoff)."""
    past = datetime.now(UTC) - timedelta(seconds=1)
    with world.sessions.begin() as session:
        session.execute(update(RetryEntry).values(next_attempt_at=past))


def test_first_run_over_100_creates_stops_at_preview_until_confirmed(world: World) -> None:
    for n in range(101):
        world.crm_create(lastname=f"Many{n}", email=f"many{n}@example.com")

    stopped = world.sync(confirm=False)

    assert stopped.status == "preview"
    assert world.cc_all() == [] and world.links() == []
    assert sum(1 for row in stopped.preview if row["action"] == "create") == 101
    confirmed = world.sync(confirm=True)
    assert confirmed.status == "succeeded", confirmed.error
    assert confirmed.counts["cc"]["created"] == 101
    assert len(world.cc_all()) == 101 and len(world.links()) == 101
    assert confirmed.calls["cc"] < 20, "JSON import, not one POST each"


def test_a_stopped_first_run_stores_its_plan_for_the_preview_page(world: World) -> None:
    """Issue 11 item 1: the Preview page pages through the stopped run's planned actions."""
    for n in range(101):
        world.crm_create(lastname=f"Many{n}", email=f"many{n}@example.com")
    world.crm_create(firstname="NoLast", email="nolast@example.com")
    world.cc_create("cc-only@example.com", first_name="Cee")  # Vtiger needs a last name
    world.cc_create("cc-two@example.com", last_name="Two")

    stopped = world.sync(confirm=False)

    assert stopped.status == "preview" and stopped.run_id is not None
    planned = [(i.side, i.action, i.reason) for i in world.items(stopped.run_id)]
    assert planned.count(("cc", "created", None)) == 102
    assert planned.count(("crm", "created", None)) == 1, "both target sides"
    assert planned.count(("crm", "skipped", "no_last_name")) == 1
    with world.sessions.begin() as session:
        run = repos.get_run(session, stopped.run_id)
    assert run is not None and run.preview_required and run.counts["cc"]["created"] == 102
    assert run.counts["matching"] == stopped.matching and stopped.matching["no_last_name"] == 1
    assert len(world.cc_all()) == 2 and world.links() == [], "still nothing written"


def test_skips_a_preview_planned_are_reported_by_the_run_that_applies_them(world: World) -> None:
    """A Preview (asked for, or a first run stopped at it) writes nothing: the skips it planned
    count in the Sync Log of the run that applies, once (the demo's Sync Log showed Skipped 0
    after a confirmed first run whose Preview listed them)."""
    for n in range(101):
        world.crm_create(lastname=f"Many{n}", email=f"many{n}@example.com")
    world.cc_create("cc-only@example.com", first_name="Cee")  # Vtiger needs a last name

    assert world.sync(preview=True).status == "preview"
    assert world.sync(confirm=False).status == "preview"
    confirmed = world.sync(confirm=True)

    assert confirmed.status == "succeeded", confirmed.error
    assert confirmed.counts["crm"]["skipped"] == 1
    skipped = [i for i in world.items(confirmed.run_id or 0) if i.action == "skipped"]
    assert [(i.side, i.reason) for i in skipped] == [("crm", "no_last_name")]
    assert world.sync().counts["crm"]["skipped"] == 0, "still counted once"


def _pairs(world: World, n: int) -> list[str]:
    ids = [world.crm_create(lastname=f"P{i}", email=f"p{i}@example.com") for i in range(n)]
    world.until_quiet()
    return ids


def test_circuit_breaker_holds_many_deletes_and_discard_keeps_pairs(world: World) -> None:
    crm_ids = _pairs(world, 8)
    for crm_id in crm_ids[:6]:
        world.crm_delete(crm_id)

    held = world.sync()

    assert held.held["cc"] == 6 and held.counts["cc"]["deleted"] == 0
    assert len(world.cc_all()) == 8
    discarded = world.held(confirm=False)
    assert discarded.counts["cc"]["skipped"] == 6
    reasons = {i.reason for i in world.items(discarded.run_id or 0)}
    assert reasons == {"delete_ignored"}
    assert len(world.cc_all()) == 8
    with world.sessions.begin() as session:
        assert repos.list_held(session, world.connector_id) == []


def test_confirmed_held_deletes_are_rechecked_and_applied(world: World) -> None:
    crm_ids = _pairs(world, 8)
    for crm_id in crm_ids[:6]:
        world.crm_delete(crm_id)
    world.sync()

    confirmed = world.held(confirm=True)

    assert confirmed.status == "succeeded", confirmed.error
    assert confirmed.counts["cc"]["deleted"] == 6
    assert len(world.cc_all()) == 2
    assert world.until_quiet().writes == 0


def test_failed_write_is_retried_then_dead_lettered_after_five_attempts(world: World) -> None:
    (crm_id,) = _pairs(world, 1)
    world.crm_edit(crm_id, title="Retry me")
    world.faults(
        "cc",
        [
            {
                "method": "PUT",
                "path_prefix": "/v3/contacts",
                "status": 503,
                "count": None,
                "probability": 1.0,
            }
        ],
    )

    first = world.sync()
    items = world.items(first.run_id or 0)
    assert [(i.reason, i.action) for i in items] == [("error_will_retry", "skipped")]
    assert first.status == "partial"
    for _ in range(4):
        _make_due(world)
        result = world.sync()
    last = world.items(result.run_id or 0)
    assert last[0].reason == "dead_letter"
    with world.sessions.begin() as session:
        dead = repos.list_retries(session, world.connector_id, dead=True)
    assert len(dead) == 1 and dead[0].attempts == 5 and "503" in (dead[0].last_error or "")


def test_retried_write_goes_through_once_the_fault_is_gone(world: World) -> None:
    (crm_id,) = _pairs(world, 1)
    world.crm_edit(crm_id, title="Second try")
    world.faults(
        "cc",
        [
            {
                "method": "PUT",
                "path_prefix": "/v3/contacts",
                "status": 500,
                "count": None,
                "probability": 1.0,
            }
        ],
    )
    world.sync()
    world.emus.http.delete(world.emus.cc.base_url + "/_emulator/faults").raise_for_status()
    _make_due(world)

    result = world.sync()

    assert result.counts["cc"]["updated"] == 1
    assert world.cc_all()[0]["job_title"] == "Second try"
    with world.sessions.begin() as session:
        assert repos.list_retries(session, world.connector_id) == []


def test_auth_failure_ends_the_run_without_advancing(world: World) -> None:
    world.crm_create(lastname="Wait", email="wait@example.com")
    with world.sessions.begin() as session:
        repos.set_connector_secrets(session, world.connector_id, vtiger_access_key="wrong-key")

    failed = world.sync()

    # Vtiger's refusal is not Constant Contact's "reconnect needed" (issue 11 item 4).
    assert failed.status == "failed" and "refused the access key" in (failed.error or "")
    with world.sessions.begin() as session:
        row = repos.get_connector(session, world.connector_id)
        assert row is not None and row.status == "crm_auth"
        assert repos.get_state(session, world.connector_id, "crm") is None
        repos.set_connector_secrets(
            session, world.connector_id, vtiger_access_key="testAccessKey0123456"
        )
    assert world.sync().counts["cc"]["created"] == 1


def test_vtiger_time_zone_mismatch_stops_the_run(world: World) -> None:
    world.cc_create("zone@example.com", last_name="Zone")
    world.set(vtiger_timezone="America/New_York")

    result = world.sync()

    assert result.status == "failed"
    assert "Vtiger time zone mismatch" in (result.error or "")
    with world.sessions.begin() as session:
        assert repos.get_state(session, world.connector_id, "cc") is None


def test_a_storm_of_server_errors_ends_the_run_without_advancing(world: World) -> None:
    for n in range(12):
        world.crm_create(lastname=f"Storm{n}", email=f"storm{n}@example.com")
    world.until_quiet()
    for link in world.links():
        world.crm_edit(link.crm_id, title="Stormy")
    rule = {"method": "PUT", "path_prefix": "/v3/contacts", "status": 503}
    world.faults("cc", [{**rule, "count": None, "probability": 1.0}])

    result = world.sync()

    assert result.status == "failed" and "in a row failed" in (result.error or "")
    world.emus.http.delete(world.emus.cc.base_url + "/_emulator/faults").raise_for_status()
    _make_due(world)
    world.until_quiet()
    assert {c["job_title"] for c in world.cc_all()} == {"Stormy"}


def test_preview_reports_the_first_sync_matching(world: World) -> None:
    world.crm_create(lastname="Twin", email="twin@example.com")
    world.crm_create(lastname="Dup", email="dup@example.com")
    world.crm_create(lastname="Dup2", email="DUP@example.com")
    world.crm_create(lastname="Nomail")
    world.cc_create("twin@example.com", last_name="Twin")

    shown = world.sync(preview=True)

    assert shown.status == "preview"
    assert shown.matching["matched"] == 1
    assert shown.matching["ambiguous"] == 1
    assert shown.matching["no_email"] == 1
    assert world.links() == [] and len(world.cc_all()) == 1, "a preview writes nothing"
