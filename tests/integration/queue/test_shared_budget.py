"""The shared API budget: two workers together keep to CC's 4/s per application, count one
daily budget, and a large first sync does not starve the small connectors' runs (issue 13).

The CC emulator limits the application to 4 calls in any second and counts, per application,
what it admitted and what it refused; the connectors pace at the product default on PostgreSQL
(3.2/s) through the limiter shared there. No throttled call means the workers together never
went over.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from ccsync.store.budget import DbDailyBudget, utc_today
from integration.engine.harness import CLIENT_ID
from integration.queue.fleet import Fleet, assert_no_overlap, poll

BIG = 16
SMALL = range(2, 5)


def _running_big(fleet: Fleet, cid: int) -> bool:
    runs = fleet.runs(cid)
    return bool(runs) and runs[-1].status == "running"


def test_workers_share_the_4_per_second_and_small_runs_go_on_beside_a_big_first_sync(
    fleet: Fleet,
) -> None:
    fleet.emus.post(fleet.emus.cc, "/_emulator/config", {"rate_limit": 4})
    default_rate = {"cc_rate": None}
    small = {n: fleet.add_connector(n, **default_rate) for n in SMALL}
    for n in SMALL:
        fleet.crm_create(n, lastname=f"Small{n}", email=f"small{n}@crm.example.com")
    big = fleet.add_connector(1, **default_rate)
    for i in range(BIG):
        email = f"big{i}@example.com"
        fleet.crm_create(
            1, firstname=f"Big{i}", lastname="Crm", email=email, phone=f"+1 212 555 {i:04d}"
        )
        fleet.cc_create(1, email)  # the same people, without names: the first sync fills them in
    fleet.start_worker("w1", 2)
    fleet.start_worker("w2", 2)
    for cid in small.values():
        fleet.backend.enqueue_sync(cid, "manual")
    fleet.wait_idle(timeout=60)

    fleet.backend.enqueue_sync(big, "confirm", confirm=True)
    poll(lambda: _running_big(fleet, big), 30, "the big first sync to start")
    while _running_big(fleet, big):
        for cid in small.values():
            fleet.backend.enqueue_sync(cid, "manual")
        time.sleep(1)  # a person clicking Sync Now now and then, not a wait for a server
    fleet.wait_idle(timeout=60)

    big_run = fleet.runs(big)[-1]
    assert big_run.status == "succeeded", (big_run.status, big_run.error)
    assert big_run.calls["cc"] >= BIG, big_run.calls  # a run that spends the budget
    assert big_run.ended_at is not None
    beside = [
        r
        for cid in small.values()
        for r in fleet.runs(cid)
        if r.started_at > big_run.started_at and r.ended_at and r.ended_at < big_run.ended_at
    ]
    print(
        f"big run {big_run.calls} in {big_run.ended_at - big_run.started_at}; beside it",
        [(r.connector_id, r.calls["cc"], str(r.ended_at - r.started_at)) for r in beside],
    )
    assert len({r.connector_id for r in beside}) == len(SMALL), "every small connector ran"
    assert all(r.status == "succeeded" for r in beside), [(r.status, r.error) for r in beside]
    for cid in [big, *small.values()]:
        assert_no_overlap(fleet.runs(cid))

    usage = fleet.cc_counters()["by_key"][CLIENT_ID]
    print(usage)
    assert usage["throttled"] == 0, usage  # the workers together never went over 4/s
    assert usage["peak_per_second"] <= 4, usage
    spent = DbDailyBudget(fleet.sessions).spent(CLIENT_ID, utc_today(datetime.now(UTC)))
    assert spent == usage["admitted"], (spent, usage)  # one daily budget for both workers
    assert fleet.crm_emails(1) == fleet.cc_emails(1)
