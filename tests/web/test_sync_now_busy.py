"""Sync Now while another process holds the connector's run lease says "busy", not "started"."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from typing import Any

from ccsync.engine.result import RunResult
from ccsync.jobs.local import LocalBackend
from ccsync.store.lease import RunLease

from .conftest import WebEnv


def _never(_settings: Any, connector_id: int, trigger: str, **kw: Any) -> RunResult:
    raise AssertionError("no run may start while another process holds the lease")


def test_sync_now_reports_busy_while_another_process_runs(env: WebEnv) -> None:
    cid = env.admin_connector
    other = RunLease(env.ctx.sessions, cid, "cli-run", pid=os.getppid())  # a live process
    assert other.acquire()
    backend = LocalBackend(env.ctx.settings, schedules=list, run=_never)
    backend.start()
    try:
        answer = backend.enqueue_sync(cid, "manual")
        assert answer.status == "busy"
        assert "Sync started" not in answer.message and "busy" in answer.message.lower()
        assert not backend.state(cid).running
    finally:
        backend.shutdown()
        other.release()


def test_sync_now_starts_when_the_lease_holder_process_is_gone(env: WebEnv) -> None:
    cid = env.admin_connector
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait(30)
    dead = RunLease(env.ctx.sessions, cid, "killed", host=socket.gethostname(), pid=ended.pid)
    assert dead.acquire()
    started: list[str] = []

    def run(_settings: Any, connector_id: int, trigger: str, **kw: Any) -> RunResult:
        started.append(trigger)
        return RunResult(1, "succeeded")

    backend = LocalBackend(env.ctx.settings, schedules=list, run=run)
    backend.start()
    try:
        assert backend.enqueue_sync(cid, "manual").status == "started"
        deadline = time.monotonic() + 10
        while backend.state(cid).running:
            assert time.monotonic() < deadline, "the run did not end"
            time.sleep(0.01)  # polling a thread's state, not waiting for a server
    finally:
        backend.shutdown(wait=True)
    assert started == ["manual"]
