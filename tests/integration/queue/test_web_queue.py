"""The web app on the job queue: ``CCSYNC_JOBS=procrastinate`` gives it the queue's backend, a
Sync Now defers a job instead of running here, and the Sync window shows it waiting."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ccsync.cli import app as cli
from ccsync.jobs.queue import ProcrastinateBackend
from ccsync.store import repos
from ccsync.web.app import create_app
from ccsync.web.service import one_view
from integration.queue.fleet import Fleet


def test_web_app_defers_sync_now_to_the_queue(fleet: Fleet) -> None:
    cid = fleet.add_connector(1, frequency="15m")
    app = create_app(fleet.settings)
    ctx = app.state.ctx
    assert isinstance(ctx.backend, ProcrastinateBackend)
    with TestClient(app):  # the lifespan opens the queue
        assert ctx.backend.enqueue_sync(cid, "manual").status == "started"
        assert ctx.backend.enqueue_sync(cid, "manual").status == "already_queued"
        with fleet.sessions() as session:
            row = repos.get_connector(session, cid)
            user = repos.get_user_by_name(session, "admin")
        assert row is not None and user is not None
        view = one_view(ctx, user, row)
        assert view.pending and not view.running  # no worker yet: the run waits in the queue
        assert view.next_run  # the tick's next background run is shown
    ctx.engine.dispose()  # the web app's own engine (create_app made it)
    [job] = fleet.jobs()
    assert (job["status"], job["lock"], job["args"]["trigger"]) == (
        "todo",
        f"connector:{cid}",
        "manual",
    )
    assert fleet.runs(cid) == []  # nothing ran in the web process


def test_cli_sync_queues_on_the_job_queue_and_foreground_runs_here(fleet: Fleet) -> None:
    cid = fleet.add_connector(1)
    fleet.crm_create(1, lastname="Cli", email="cli@example.com")
    env = {k: v for k, v in fleet.env("cli").items() if k.startswith("CCSYNC_")}
    runner = CliRunner(env=env)
    queued = runner.invoke(cli, ["sync", "c1", "--json"])
    assert queued.exit_code == 0, queued.output
    assert json.loads(queued.output)["status"] == "started"
    again = runner.invoke(cli, ["sync", "c1", "--json"])
    assert json.loads(again.output)["status"] == "already_queued"
    assert fleet.runs(cid) == [] and len(fleet.jobs()) == 1
    here = runner.invoke(cli, ["sync", "c1", "--json", "--foreground"])
    assert here.exit_code == 0, here.output
    assert json.loads(here.output)["status"] == "succeeded"
    assert fleet.cc_emails(1) == ["cli@example.com"]
