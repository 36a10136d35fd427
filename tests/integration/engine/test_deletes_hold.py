"""Issue 9 item 3: a pair is tombstoned only after the remote delete is acknowledged; failed
deletes go through the retry queue to dead letters; "applied but answer lost" converges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from ccsync.store import repos
from ccsync.store.models import RetryEntry
from integration.engine.harness import World

pytestmark = pytest.mark.integration

CC_DELETE_503 = {
    "method": "DELETE",
    "path_prefix": "/v3/contacts/",
    "status": 503,
    "count": None,
    "probability": 1.0,
}


def _make_due(world: World) -> None:
    past = datetime.now(UTC) - timedelta(seconds=1)
    with world.sessions.begin() as session:
        session.execute(update(RetryEntry).values(next_attempt_at=past))


def _retries(world: World) -> list[repos.RetryRow]:
    with world.sessions.begin() as session:
        return repos.list_retries(session, world.connector_id)


def _link(world: World, crm_id: str) -> repos.LinkRow:
    return next(link for link in world.links() if link.crm_id == crm_id)


def _clear_faults(world: World, side: str = "cc") -> None:
    proc = world.emus.cc if side == "cc" else world.emus.vt
    world.emus.http.delete(proc.base_url + "/_emulator/faults").raise_for_status()


def _pair(world: World, email: str = "del@example.com") -> tuple[str, str]:
    crm_id = world.crm_create(firstname="Del", lastname="Ete", email=email)
    world.until_quiet()
    return crm_id, _link(world, crm_id).cc_id


def test_failed_cc_delete_is_retried_with_backoff_then_dead_lettered(world: World) -> None:
    crm_id, cc_id = _pair(world)
    world.crm_delete(crm_id)
    world.faults("cc", [CC_DELETE_503])

    first = world.sync()

    assert first.status == "partial"
    assert not _link(world, crm_id).tombstoned, "no tombstone before CC acknowledged the delete"
    assert [e.attempts for e in _retries(world)] == [1]
    attempts = []
    for _ in range(4):
        _make_due(world)
        result = world.sync()
        attempts.append(_retries(world)[0].attempts)
    assert attempts == [2, 3, 4, 5]
    assert _retries(world)[0].dead
    assert world.items(result.run_id or 0)[0].reason == "dead_letter"
    assert [c["contact_id"] for c in world.cc_all()] == [cc_id], "still live: never tombstoned"

    _clear_faults(world)
    with world.sessions.begin() as session:
        repos.retry_now(session, world.connector_id)
    done = world.sync()

    assert done.counts["cc"]["deleted"] == 1
    assert world.cc_all() == [] and _retries(world) == []
    assert _link(world, crm_id).tombstoned
    assert world.until_quiet().writes == 0
    assert world.crm_all() == [] and world.cc_all() == []


def test_cc_delete_applied_but_answer_lost_converges(world: World) -> None:
    crm_id, cc_id = _pair(world)
    world.crm_delete(crm_id)
    world.faults("cc", [{**CC_DELETE_503, "count": 1, "probability": None}])
    world.sync()
    world.cc_delete(cc_id)  # the DELETE had been applied; only its answer was lost

    _make_due(world)
    world.sync()

    assert _link(world, crm_id).tombstoned and _retries(world) == []
    assert world.until_quiet().writes == 0
    assert world.crm_all() == [] and world.cc_all() == [], "nothing came back on either side"


def test_failed_vtiger_delete_is_retried_until_it_goes_through(world: World) -> None:
    crm_id, cc_id = _pair(world)
    world.cc_delete(cc_id)
    rule = {"operation": "delete", "status": 503, "count": None, "probability": 1.0}
    world.faults("crm", [rule])

    world.sync()
    assert not _link(world, crm_id).tombstoned
    _make_due(world)
    world.sync()
    assert [e.attempts for e in _retries(world)] == [2]

    _clear_faults(world, "crm")
    _make_due(world)
    result = world.sync()

    assert result.counts["crm"]["deleted"] == 1
    assert world.crm_all() == [] and _retries(world) == []
    assert world.until_quiet().writes == 0
    assert world.crm_all() == [] and world.cc_all() == []


def test_failed_bulk_delete_goes_to_the_retry_queue(world: World) -> None:
    ids = [world.crm_create(lastname=f"Bulk{n}", email=f"bulk{n}@example.com") for n in range(5)]
    world.until_quiet()
    for crm_id in ids:
        world.crm_delete(crm_id)
    rule = {"method": "POST", "path_prefix": "/v3/activities/contact_delete", "status": 503}
    world.faults("cc", [{**rule, "count": None, "probability": 1.0}])

    world.sync()

    assert len(world.cc_all()) == 5
    assert sorted(e.attempts for e in _retries(world)) == [1] * 5
    assert not any(link.tombstoned for link in world.links())
    _clear_faults(world)
    _make_due(world)
    world.until_quiet()
    assert world.cc_all() == [] and world.crm_all() == [] and _retries(world) == []


def test_change_meeting_an_unacknowledged_delete_revives_and_is_logged(world: World) -> None:
    crm_id, cc_id = _pair(world)
    world.crm_delete(crm_id)
    world.faults("cc", [CC_DELETE_503])
    world.sync()  # the CC delete failed: the pair stays live, the retry is not due yet
    _clear_faults(world)
    world.cc_edit(cc_id, first_name="Still here")

    result = world.sync()

    assert result.counts["crm"]["created"] == 1, "sync rule D6: the newer CC change wins"
    [created] = [i for i in world.items(result.run_id or 0) if i.action == "created"]
    assert "revived" in (created.message or "")
    assert [c["firstname"] for c in world.crm_all()] == ["Still here"]
    assert [c["contact_id"] for c in world.cc_all()] == [cc_id]
    _make_due(world)
    assert world.until_quiet().writes == 0
    assert len(world.crm_all()) == 1 and [c["contact_id"] for c in world.cc_all()] == [cc_id]
    assert _retries(world) == []
