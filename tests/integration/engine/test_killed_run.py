"""A run SIGKILLed mid-apply: its log shows what it did, and the next run starts at once.

The kill point is made deterministic on the emulator side: the first ``DONE`` Vtiger creates
pass, every later create hangs (a fault whose answer comes far later than the test ends, and
is an error, so the emulator never applies it), so the killed run wrote exactly ``DONE``.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import select

from ccsync.store import repos
from ccsync.store.models import RunLease as RunLeaseRow
from integration.engine.harness import World

pytestmark = pytest.mark.integration

TOTAL = 30
DONE = 13  # not a multiple of the write chunk (2 x write concurrency): a chunk is in flight


def _env(world: World) -> dict[str, str]:
    return {**os.environ, "CCSYNC_DATA_DIR": str(world.settings.data_dir), "COLUMNS": "200"}


def _running_run(world: World) -> repos.RunRow | None:
    with world.sessions.begin() as session:
        runs = repos.list_runs(session, world.connector_id, limit=1)
    return runs[0] if runs and runs[0].status == "running" else None


def _created_items(world: World, run_id: int) -> int:
    return sum(1 for i in world.items(run_id) if i.side == "crm" and i.action == "created")


def _wait_for_items(world: World, proc: subprocess.Popen[str], wanted: int) -> int:
    """Poll the store until the running run logged ``wanted`` creates (or give up)."""
    deadline = time.monotonic() + 20
    seen = 0
    while time.monotonic() < deadline and proc.poll() is None:
        run = _running_run(world)
        if run is not None and len(world.crm_all()) >= wanted:
            seen = _created_items(world, run.id)
            if seen >= wanted:
                return seen
        time.sleep(0.05)  # polling interval, not a wait for the run
    return seen


def test_killed_run_logs_its_writes_and_the_next_run_takes_over_at_once(world: World) -> None:
    for n in range(TOTAL):
        world.cc_create(f"killed{n}@example.com", last_name=f"Killed{n}")
    world.faults(
        "crm",
        [
            {"kind": "slow", "delay": 0, "operation": "create", "count": DONE},
            {"kind": "status", "status": 503, "delay": 30, "operation": "create", "count": None},
        ],
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "ccsync", "sync", "main", "--json", "--confirm"],
        env=_env(world), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        _wait_for_items(world, proc, DONE)
        run = _running_run(world)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(30)
        proc.communicate()
    world.emus.http.delete(world.emus.vt.base_url + "/_emulator/faults").raise_for_status()
    assert run is not None, "the run was killed while running"
    assert len(world.crm_all()) == DONE, "exactly DONE creates went through before the kill"
    assert _created_items(world, run.id) == DONE, "the killed run's log shows its writes"
    with world.sessions.begin() as session:
        lease = session.scalars(select(RunLeaseRow)).one()
        assert lease.holder_pid == proc.pid, "the dead holder's lease is still there"

    started = time.monotonic()
    takeover = world.sync()
    assert takeover.status == "succeeded", (takeover.status, takeover.error)
    assert time.monotonic() - started < 60, "no wait for the dead run's lease to expire"
    world.until_quiet()

    with world.sessions.begin() as session:
        killed = repos.get_run(session, run.id)
    assert killed is not None and killed.status == "interrupted"
    assert killed.counts["crm"]["created"] == DONE, killed.counts
    log = subprocess.run(
        [sys.executable, "-m", "ccsync", "log", "main", "--run", str(run.id), "--csv"],
        env=_env(world), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert log.returncode == 0, log.stderr
    rows = list(csv.DictReader(io.StringIO(log.stdout)))
    assert Counter((r["side"], r["action"]) for r in rows) == {("crm", "created"): DONE}
    crm_rows = world.crm_all()
    emails = Counter(r["email"] for r in crm_rows)
    assert len(crm_rows) == TOTAL and max(emails.values()) == 1, emails
    assert len(world.links()) == TOTAL
