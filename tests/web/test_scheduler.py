"""The local APScheduler backend: jobs from the store, one run at a time, one queued at most."""

from __future__ import annotations

import threading
import time
from typing import Any

from ccsync.engine.config import settings_patch
from ccsync.engine.result import RunResult
from ccsync.jobs.local import LocalBackend, load_schedules
from ccsync.store.repos.connectors import set_connector_status, update_connector_settings

from .conftest import WebEnv


class GatedRuns:
    """A run function that records its calls and waits for the test to let each run finish."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, str, bool]] = []
        self.gate = threading.Semaphore(0)
        self.started = threading.Semaphore(0)

    def __call__(self, _settings: Any, connector_id: int, trigger: str, **kw: Any) -> RunResult:
        self.calls.append((connector_id, trigger, bool(kw.get("confirm"))))
        progress = kw.get("progress")
        if progress is not None:
            progress("reading", 3, 10)
        self.started.release()
        assert self.gate.acquire(timeout=10)
        return RunResult(run_id=len(self.calls), status="succeeded")


def _wait(predicate: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)  # polling a thread's state, not waiting for a server


def test_sync_now_while_running_queues_exactly_one_more(env: WebEnv) -> None:
    runs = GatedRuns()
    backend = LocalBackend(env.ctx.settings, schedules=list, run=runs)
    backend.start()
    try:
        cid = env.admin_connector
        assert backend.enqueue_sync(cid, "manual").status == "started"
        assert runs.started.acquire(timeout=10)
        state = backend.state(cid)
        assert state.running and (state.stage, state.done, state.total) == ("reading", 3, 10)
        assert backend.enqueue_sync(cid, "manual").status == "queued"
        assert backend.enqueue_sync(cid, "manual").status == "already_queued"
        runs.gate.release()
        assert runs.started.acquire(timeout=10)
        assert backend.state(cid).running and not backend.state(cid).pending
        runs.gate.release()
        _wait(lambda: not backend.state(cid).running)
        assert [c[1] for c in runs.calls] == ["manual", "queued"]
        assert backend.state(cid).last_status == "succeeded"
    finally:
        backend.shutdown()


def test_confirm_reaches_the_run_and_other_connectors_run_alongside(env: WebEnv) -> None:
    runs = GatedRuns()
    backend = LocalBackend(env.ctx.settings, schedules=list, run=runs)
    backend.start()
    try:
        backend.enqueue_sync(env.admin_connector, "confirm", confirm=True)
        backend.enqueue_sync(env.user_connector, "manual")
        assert runs.started.acquire(timeout=10) and runs.started.acquire(timeout=10)
        assert sorted(runs.calls) == sorted(
            [(env.admin_connector, "confirm", True), (env.user_connector, "manual", False)]
        )
        runs.gate.release()
        runs.gate.release()
        _wait(lambda: not backend.state(env.admin_connector).running)
    finally:
        backend.shutdown()


def _enable(env: WebEnv, connector_id: int, frequency: str) -> None:
    with env.ctx.sessions.begin() as session:
        update_connector_settings(session, connector_id, settings_patch(frequency=frequency))
        set_connector_status(session, connector_id, "connected")


def test_jobs_are_rebuilt_from_the_connectors_table_at_every_start(env: WebEnv) -> None:
    _enable(env, env.admin_connector, "15m")
    first = LocalBackend(env.ctx.settings, schedules=lambda: load_schedules(env.ctx.sessions))
    first.start()
    assert first.scheduled_ids() == {env.admin_connector: 900}
    first.shutdown()
    # A restart (a new process) finds the same job, plus what changed in the table meanwhile.
    _enable(env, env.user_connector, "4h")
    second = LocalBackend(env.ctx.settings, schedules=lambda: load_schedules(env.ctx.sessions))
    second.start()
    try:
        assert second.scheduled_ids() == {env.admin_connector: 900, env.user_connector: 14400}
        with env.ctx.sessions.begin() as session:
            update_connector_settings(session, env.admin_connector, settings_patch(frequency="off"))
        second.reload()
        assert second.scheduled_ids() == {env.user_connector: 14400}
    finally:
        second.shutdown()


def test_connectors_that_cannot_run_get_no_background_job(env: WebEnv) -> None:
    _enable(env, env.admin_connector, "5m")
    with env.ctx.sessions.begin() as session:
        update_connector_settings(session, env.user_connector, settings_patch(frequency="5m"))
        set_connector_status(session, env.user_connector, "needs_sign_in")
        update_connector_settings(
            session, env.admin_connector, settings_patch(frequency="5m", contacts_enabled=False)
        )
    schedules = {s.connector_id: s.interval for s in load_schedules(env.ctx.sessions)}
    assert schedules == {env.admin_connector: None, env.user_connector: None}


def test_a_due_background_job_runs_the_connector_and_skips_while_busy(env: WebEnv) -> None:
    from datetime import UTC, datetime

    _enable(env, env.admin_connector, "5m")
    runs = GatedRuns()
    backend = LocalBackend(
        env.ctx.settings, schedules=lambda: load_schedules(env.ctx.sessions), run=runs
    )
    backend.start()
    try:
        job = backend._scheduler.get_job(f"bg-{env.admin_connector}")
        job.modify(next_run_time=datetime.now(UTC))
        assert runs.started.acquire(timeout=10)
        assert runs.calls == [(env.admin_connector, "schedule", False)]
        # A click during the background run queues one more run instead of a second one at once.
        assert backend.enqueue_sync(env.admin_connector, "manual").status == "queued"
        runs.gate.release()
        assert runs.started.acquire(timeout=10)
        runs.gate.release()
        _wait(lambda: not backend.state(env.admin_connector).running)
        assert [c[1] for c in runs.calls] == ["schedule", "queued"]
    finally:
        backend.shutdown()


def test_housekeeping_purges_debug_entries_past_the_retention(env: WebEnv) -> None:
    from datetime import UTC, datetime, timedelta

    from ccsync.connectors.trace import TraceEntry
    from ccsync.jobs.local import purge_debug_log
    from ccsync.store.repos.debuglog import append_debug, list_debug
    from ccsync.store.repos.runs import start_run

    def entry(age_days: int) -> TraceEntry:
        at = datetime.now(UTC) - timedelta(days=age_days)
        return TraceEntry(at, "GET", "http://127.0.0.1:9/v3/contacts", 200, 1.0, {}, "", {}, "")

    with env.ctx.sessions.begin() as session:
        run = start_run(session, env.admin_connector, "manual")
        append_debug(session, env.admin_connector, run.id, [entry(40), entry(2)])
    ran = threading.Event()
    backend = LocalBackend(
        env.ctx.settings,
        schedules=list,
        housekeeping=lambda: (purge_debug_log(env.ctx.sessions, 30), ran.set()),
    )
    backend.start()
    try:
        assert ran.wait(10)
    finally:
        backend.shutdown()
    with env.ctx.sessions() as session:
        assert len(list_debug(session, run.id)) == 1


def test_without_background_jobs_sync_now_still_runs(env: WebEnv) -> None:
    _enable(env, env.admin_connector, "5m")
    runs = GatedRuns()
    backend = LocalBackend(
        env.ctx.settings, schedules=lambda: load_schedules(env.ctx.sessions), run=runs
    )
    backend.start(background=False)
    try:
        backend.reload()
        assert backend.scheduled_ids() == {}
        assert backend.enqueue_sync(env.admin_connector, "manual").status == "started"
        assert runs.started.acquire(timeout=10)
        runs.gate.release()
        _wait(lambda: not backend.state(env.admin_connector).running)
    finally:
        backend.shutdown()


def _due(backend: LocalBackend, connector_id: int) -> Any:
    """The next run time of a connector's background job (read from the scheduler itself)."""
    return backend._scheduler.get_job(f"bg-{connector_id}").next_run_time


def test_saving_one_connectors_settings_leaves_the_other_timers_alone(
    env: WebEnv, monkeypatch: Any
) -> None:
    """Issue 11 item 9: a save (or a sign-in, which reloads every job) reschedules only the
    connector whose frequency or enabled flag changed."""
    from datetime import UTC, datetime, timedelta

    from starlette.testclient import TestClient

    from .conftest import ADMIN, csrf, login
    from .test_settings import SYNC

    a, b = env.admin_connector, env.user_connector
    _enable(env, a, "15m")
    _enable(env, b, "60m")
    backend = LocalBackend(
        env.ctx.settings, schedules=lambda: load_schedules(env.ctx.sessions), run=GatedRuns()
    )
    backend.start()
    monkeypatch.setattr(env.ctx, "backend", backend)
    due_a = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=7)
    backend._scheduler.get_job(f"bg-{a}").modify(next_run_time=due_a)
    due_b = _due(backend, b)
    with TestClient(env.app, follow_redirects=False) as client:
        login(client, *ADMIN)
        form = {**SYNC, "frequency": "60m", "csrftoken": csrf(client)}
        assert client.post(f"/connectors/{b}/settings", data=form).status_code == 303
        assert (_due(backend, a), _due(backend, b)) == (due_a, due_b), "nothing changed, none moves"
        form["frequency"] = "30m"
        assert client.post(f"/connectors/{b}/settings", data=form).status_code == 303
        assert backend.scheduled_ids() == {a: 900, b: 1800}
        assert _due(backend, a) == due_a and _due(backend, b) != due_b
        backend.reload()  # what a sign-in does
        assert _due(backend, a) == due_a
        form["enabled"] = ""
        assert client.post(f"/connectors/{b}/settings", data=form).status_code == 303
        assert backend.scheduled_ids() == {a: 900} and _due(backend, a) == due_a
