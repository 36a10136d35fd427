"""Background runs on the queue: the periodic tick is deferred once per period across all
workers, and defers each connector once its Background Sync Frequency has passed."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from ccsync.store import repos
from integration.queue.fleet import Fleet, poll


def test_tick_once_per_period_across_workers_runs_due_connectors_once(fleet: Fleet) -> None:
    due = fleet.add_connector(1, frequency="5m")
    fresh = fleet.add_connector(2, frequency="5m")
    fleet.crm_create(1, lastname="Due", email="due@example.com")
    six_minutes_ago = datetime.now(UTC) - timedelta(minutes=6)
    with fleet.sessions.begin() as session:
        for cid, when in ((due, six_minutes_ago), (fresh, datetime.now(UTC))):
            run = repos.start_run(session, cid, "schedule", now=when)
            repos.finish_run(session, run.id, status="succeeded", now=when)
    fleet.start_worker("w1", 2)
    fleet.start_worker("w2", 2)

    poll(lambda: len(fleet.runs(due)) == 2, 30, "the due connector's background run")
    ticks_then = len(fleet.jobs("ccsync.tick"))
    poll(lambda: len(fleet.jobs("ccsync.tick")) >= ticks_then + 3, 30, "three more ticks")
    fleet.wait_idle(timeout=30)

    scheduled = fleet.runs(due)[-1]
    assert scheduled.trigger == "schedule" and scheduled.status == "succeeded", scheduled
    assert len(fleet.runs(due)) == 2, "once: its frequency counts from the run it started"
    assert len(fleet.runs(fresh)) == 1, "not due yet"
    ticks = fleet.jobs("ccsync.tick")
    per_period = Counter(j["args"]["timestamp"] for j in ticks)
    assert max(per_period.values()) == 1, per_period  # two workers, one tick per period
    assert fleet.crm_emails(1) == fleet.cc_emails(1) == ["due@example.com"]
