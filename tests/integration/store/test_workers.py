"""The workers registry: a dead worker's run lease is taken over at once, on any machine; and
what the queue's tick finds due (both dialects)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from ccsync.engine.config import settings_patch
from ccsync.jobs.queue import due_connectors, next_due
from ccsync.store import repos
from ccsync.store.lease import RunLease
from ccsync.store.models import Connector, Worker
from ccsync.store.repos.runs import calls_since, last_run_starts
from ccsync.store.workers import (
    beat,
    count_run,
    dead_worker_lease,
    list_workers,
    register_worker,
    stop_worker,
)
from integration.store.conftest import Db

STALLED = 30.0


def _other_host_holder(db: Db, last_seen: datetime) -> RunLease:
    """A worker on another machine (pid 4242) that holds the connector's lease for 120 s."""
    with db.sessions.begin() as session:
        session.add(
            Worker(name="far", host="far-away", pid=4242, concurrency=1, last_seen=last_seen,
                   runs=0, failures=0)
        )  # fmt: skip
    far = RunLease(db.sessions, db.connector_id, "far-away:4242:x", host="far-away", pid=4242)
    assert far.acquire()
    return far


def test_lease_of_a_worker_that_stopped_beating_on_another_machine_is_taken_over(db: Db) -> None:
    _other_host_holder(db, datetime.now(UTC) - timedelta(seconds=STALLED + 5))
    mine = RunLease(db.sessions, db.connector_id, "here:1:y")
    assert not mine.acquire(), "the TTL alone would keep it for two minutes"
    assert dead_worker_lease(db.sessions, db.connector_id, STALLED) == "far-away:4242:x"
    assert mine.acquire()


def test_lease_of_a_live_worker_or_of_a_non_worker_stays(db: Db) -> None:
    _other_host_holder(db, datetime.now(UTC))
    assert dead_worker_lease(db.sessions, db.connector_id, STALLED) is None
    assert not RunLease(db.sessions, db.connector_id, "here:1:y").acquire()
    other = repos_connector(db, "second")
    RunLease(db.sessions, other, "cli:7:z", host="far-away", pid=7).acquire()
    assert dead_worker_lease(db.sessions, other, STALLED) is None  # the CLI: its TTL decides


def test_registry_beats_counts_and_stops(db: Db) -> None:
    wid = register_worker(db.sessions, "w1", concurrency=3)
    beat(db.sessions, wid)
    count_run(db.sessions, wid, failed=False)
    count_run(db.sessions, wid, failed=True)
    [row] = list_workers(db.sessions)
    assert (row.name, row.concurrency, row.runs, row.failures) == ("w1", 3, 2, 1)
    assert row.alive(STALLED)
    stop_worker(db.sessions, wid)
    assert not list_workers(db.sessions)[0].alive(STALLED)


def repos_connector(db: Db, name: str, **settings: object) -> int:
    with db.sessions.begin() as session:
        main = repos.get_connector(session, db.connector_id)
        assert main is not None
        user_id = main.owner_id
        base = settings_patch(**{"frequency": "5m", **settings})
        return repos.create_connector(session, name, user_id, base, status="connected").id


def _ran(db: Db, connector_id: int, ago: timedelta, trigger: str = "schedule") -> None:
    when = datetime.now(UTC) - ago
    with db.sessions.begin() as session:
        run = repos.start_run(session, connector_id, trigger, now=when)
        repos.finish_run(session, run.id, status="succeeded", calls={"crm": 4, "cc": 3}, now=when)


def test_tick_finds_the_connectors_whose_frequency_has_passed(db: Db) -> None:
    never = repos_connector(db, "never")
    recent = repos_connector(db, "recent")
    old = repos_connector(db, "old")
    previewed = repos_connector(db, "previewed")
    off = repos_connector(db, "off", frequency="off")
    disabled = repos_connector(db, "disabled", contacts_enabled=False)
    paused = repos_connector(db, "paused")
    broken = repos_connector(db, "broken")
    bad = {"sync": {"frequency": "2m"}}  # settings that no longer load: not scheduled
    with db.sessions.begin() as session:
        session.execute(update(Connector).where(Connector.id == broken).values(settings=bad))
    _ran(db, recent, timedelta(minutes=1))
    _ran(db, old, timedelta(minutes=6))
    _ran(db, previewed, timedelta(minutes=6))
    _ran(db, previewed, timedelta(minutes=1), trigger="preview")  # a Preview is not a run
    with db.sessions.begin() as session:
        later = datetime.now(UTC) + timedelta(hours=1)
        repos.update_connector(session, paused, paused_until=later)
    now = datetime.now(UTC)
    due = due_connectors(db.sessions, now)
    assert set(due) >= {never, old, previewed}
    assert not set(due) & {recent, off, disabled, paused, broken}
    upcoming = next_due(db.sessions, now)
    assert upcoming[never] == now
    assert timedelta(minutes=3) < upcoming[recent] - now <= timedelta(minutes=4)
    assert off not in upcoming and disabled not in upcoming


def test_calls_today_per_connector_from_the_runs(db: Db) -> None:
    _ran(db, db.connector_id, timedelta(minutes=5))
    _ran(db, db.connector_id, timedelta(minutes=10))
    _ran(db, db.connector_id, timedelta(days=2))
    since = datetime.now(UTC) - timedelta(hours=1)
    assert calls_since_of(db, since) == {"crm": 8, "cc": 6}
    with db.sessions() as session:
        assert db.connector_id in last_run_starts(session)


def calls_since_of(db: Db, since: datetime) -> dict[str, int]:
    with db.sessions() as session:
        return calls_since(session, since)[db.connector_id]
