"""A worker SIGKILLed in the middle of a run: another worker retries the job, the run converges.

The kill point is deterministic on the emulator side (as in the engine's killed-run test): the
first ``DONE`` Vtiger creates pass, every later one hangs and then fails, so the killed run
wrote exactly ``DONE``. The killed worker stops beating; the tick of the other one finds the
job stalled, retries it, and the retry takes the dead run's lease over at once.
"""

from __future__ import annotations

import time
from collections import Counter

from sqlalchemy import select

from ccsync.store.models import RunLease
from integration.queue.fleet import Fleet, assert_no_overlap, poll

TOTAL = 30
DONE = 13


def _lease_pid(fleet: Fleet, connector_id: int) -> int | None:
    with fleet.sessions() as session:
        lease = session.scalars(select(RunLease).where(RunLease.connector_id == connector_id))
        row = lease.first()
        return None if row is None else row.holder_pid


def test_sigkilled_worker_job_is_retried_elsewhere_and_converges(fleet: Fleet) -> None:
    cid = fleet.add_connector(1)
    for n in range(TOTAL):
        fleet.cc_create(1, f"killed{n}@example.com", last_name=f"Killed{n}")
    rules = [
        {"kind": "slow", "delay": 0, "operation": "create", "count": DONE},
        {"kind": "status", "status": 503, "delay": 30, "operation": "create", "count": None},
    ]
    fleet.emus.post(fleet.emus.vt, "/_emulator/faults", {"rules": rules, "seed": 1})
    workers = [fleet.start_worker("w1", 2), fleet.start_worker("w2", 2)]

    assert fleet.backend.enqueue_sync(cid, "manual").status == "started"
    poll(lambda: len(fleet.crm_emails(1)) >= DONE, 60, f"{DONE} Vtiger creates")
    pid = _lease_pid(fleet, cid)
    victim = next(w for w in workers if w.popen.pid == pid)
    survivor = next(w for w in workers if w is not victim)
    fleet.kill_worker(victim.name)
    killed_at = time.monotonic()
    fleet.emus.http.delete(fleet.emus.vt.base_url + "/_emulator/faults").raise_for_status()
    assert len(fleet.crm_emails(1)) == DONE, "exactly DONE creates went through before the kill"

    fleet.wait_idle(timeout=60)
    assert time.monotonic() - killed_at < 30, "retried without waiting out the lease TTL"
    [job] = fleet.jobs()
    # procrastinate counts an attempt when a job leaves "doing": the retry, then the success
    assert job["status"] == "succeeded" and job["attempts"] == 2, job
    killed, retry = fleet.runs(cid)
    assert killed.status == "interrupted", killed
    assert retry.status == "succeeded", (retry.status, retry.error)
    assert retry.counts["crm"]["created"] == TOTAL - DONE, retry.counts
    assert fleet.worker_rows()[survivor.name].runs == 1

    emails = Counter(fleet.crm_emails(1))
    assert len(emails) == TOTAL and max(emails.values()) == 1, emails  # no duplicate
    assert fleet.backend.enqueue_sync(cid, "manual").status == "started"
    fleet.wait_idle(timeout=60)
    quiet = fleet.runs(cid)[-1]
    assert quiet.status == "succeeded" and not any(
        n for side in quiet.counts.values() for k, n in side.items() if k != "skipped"
    ), quiet.counts
    assert fleet.crm_emails(1) == fleet.cc_emails(1)
    assert_no_overlap([killed, retry, quiet][1:])
