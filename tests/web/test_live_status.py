"""Issue 11 item 9: the Sync window's live part (a small partial htmx polls: every 2 s while a
run is going, every 10 s while none is) and each connector's next background run."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from starlette.testclient import TestClient

from ccsync.engine.config import settings_patch
from ccsync.jobs.local import LocalBackend, load_schedules
from ccsync.store.lease import RunLease
from ccsync.store.repos.connectors import set_connector_status, update_connector_settings
from ccsync.store.repos.runs import finish_run, start_run
from ccsync.web.templating import local_time

from .conftest import ADMIN, WebEnv, login
from .test_scheduler import GatedRuns, _wait

FAST = 'hx-get="/connectors/{cid}/status" hx-trigger="every 2s" hx-swap="outerHTML"'
SLOW = 'hx-get="/connectors/{cid}/status" hx-trigger="every 10s" hx-swap="outerHTML"'


@pytest.fixture
def runs() -> GatedRuns:
    return GatedRuns()


@pytest.fixture
def client(env: WebEnv, runs: GatedRuns, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The admin's browser on an app whose job backend runs gated runs and schedules jobs."""
    for cid, frequency in ((env.admin_connector, "15m"), (env.user_connector, "4h")):
        with env.ctx.sessions.begin() as session:
            update_connector_settings(session, cid, settings_patch(frequency=frequency))
            set_connector_status(session, cid, "connected")
    backend = LocalBackend(
        env.ctx.settings, schedules=lambda: load_schedules(env.ctx.sessions), run=runs
    )
    backend.start()
    monkeypatch.setattr(env.ctx, "backend", backend)
    with TestClient(env.app, follow_redirects=False) as client:
        login(client, *ADMIN)
        yield client
    backend.shutdown()


def test_the_partial_polls_fast_while_a_run_goes_and_slowly_when_none_does(
    client: TestClient, env: WebEnv, runs: GatedRuns
) -> None:
    cid = env.admin_connector
    idle = client.get(f"/connectors/{cid}/status").text
    assert "<html" not in idle and SLOW.format(cid=cid) in idle and "Connected" in idle
    assert "every 2s" not in client.get("/").text, "no fast polling while nothing runs"

    env.ctx.backend.enqueue_sync(cid, "schedule")  # as the scheduler starts one
    assert runs.started.acquire(timeout=10)
    going = client.get(f"/connectors/{cid}/status").text
    assert FAST.format(cid=cid) in going and "Syncing" in going and "reading — 3 / 10" in going
    assert FAST.format(cid=cid) in client.get("/").text

    runs.gate.release()
    _wait(lambda: not env.ctx.backend.state(cid).running)
    done = client.get(f"/connectors/{cid}/status").text
    assert SLOW.format(cid=cid) in done and "Last run: succeeded" in done


def test_a_run_of_another_process_shows_while_it_holds_the_lease(
    client: TestClient, env: WebEnv
) -> None:
    cid = env.admin_connector
    with env.ctx.sessions.begin() as session:
        run = start_run(session, cid, "cli")
    lease = RunLease(env.ctx.sessions, cid, "cli-holder")
    assert lease.acquire()
    going = client.get(f"/connectors/{cid}/status").text
    assert FAST.format(cid=cid) in going and "running in another process" in going
    lease.release()
    stale = client.get(f"/connectors/{cid}/status").text  # "running" in the store, no holder
    assert SLOW.format(cid=cid) in stale and "Syncing" not in stale
    with env.ctx.sessions.begin() as session:
        finish_run(session, run.id, status="succeeded")
    assert "(succeeded)" in client.get(f"/connectors/{cid}/status").text


def test_each_connector_shows_its_next_background_run(client: TestClient, env: WebEnv) -> None:
    a, b = env.admin_connector, env.user_connector
    due_a = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=7)
    env.ctx.backend._scheduler.get_job(f"bg-{a}").modify(next_run_time=due_a)
    due_b = env.ctx.backend.next_runs()[b]
    page = client.get("/").text
    shown = re.findall(r"Next background run: ([0-9: -]+)", page)
    assert shown == [local_time(due_a, "UTC"), local_time(due_b, "UTC")]
    with env.ctx.sessions.begin() as session:
        update_connector_settings(session, b, settings_patch(frequency="off"))
    env.ctx.backend.reload()
    assert client.get("/").text.count("Next background run:") == 1
