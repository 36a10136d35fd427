"""CLI commands in-process (Typer's CliRunner) against the emulators: revoke, sync output."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ccsync.cli import app
from ccsync.store import repos
from ccsync.store.tokens import DbTokenStore
from integration.engine.harness import World

pytestmark = pytest.mark.integration


def _env(world: World) -> dict[str, str]:
    return {"CCSYNC_DATA_DIR": str(world.settings.data_dir)}


def test_revoke_deletes_tokens_and_stops_syncing(world: World) -> None:
    runner = CliRunner()

    result = runner.invoke(app, ["connector", "revoke", "main"], env=_env(world))

    assert result.exit_code == 0, result.output
    assert "revoked" in result.output
    assert DbTokenStore(world.sessions, world.connector_id, world.settings.data_dir).load() is None
    with world.sessions.begin() as session:
        row = repos.get_connector(session, world.connector_id)
    assert row is not None and row.status == "needs_sign_in"
    world.crm_create(lastname="After", email="after@example.com")
    stopped = world.sync()
    assert stopped.status == "failed" and "not signed in" in (stopped.error or "")
    assert world.cc_all() == []


def test_sync_table_output_and_log_listing(world: World) -> None:
    world.crm_create(lastname="Table", email="table@example.com")
    runner = CliRunner()

    result = runner.invoke(app, ["sync", "main", "--confirm"], env=_env(world))

    assert result.exit_code == 0, result.output
    assert "Constant Contact" in result.output and "Remote calls" in result.output
    listed = runner.invoke(app, ["log", "main", "--json"], env=_env(world))
    runs = json.loads(listed.output)
    assert runs[0]["status"] == "succeeded" and runs[0]["counts"]["cc"]["created"] == 1
    shown = runner.invoke(app, ["log", "main", "--run", str(runs[0]["id"])], env=_env(world))
    assert "created" in shown.output
