"""``ccsync sync``, ``preview`` and ``held`` start their work only through the job backend."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ccsync.cli import app
from ccsync.cli import sync as sync_cmd
from ccsync.engine.result import Progress, RunResult
from ccsync.jobs.backend import EnqueueResult, ForegroundBackend, JobBackend
from ccsync.settings import AppSettings, get_settings
from ccsync.store import repos
from ccsync.store.crypto import configure_encryption
from ccsync.store.db import init_db, session_factory


class RecordingBackend:
    """A ``JobBackend`` that records what it was asked to start and starts nothing."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, dict[str, Any]]] = []

    def enqueue_sync(
        self, connector_id: int, trigger: str, *, confirm: bool = False
    ) -> EnqueueResult:
        self.calls.append(("enqueue_sync", connector_id, {"trigger": trigger, "confirm": confirm}))
        return EnqueueResult("started", "Sync started.")

    def run_now(
        self,
        connector_id: int,
        trigger: str,
        *,
        confirm: bool = False,
        progress: Progress | None = None,
    ) -> RunResult:
        self.calls.append(("run_now", connector_id, {"trigger": trigger, "confirm": confirm}))
        return RunResult(11, "succeeded")

    def preview(self, connector_id: int) -> RunResult:
        self.calls.append(("preview", connector_id, {}))
        return RunResult(12, "preview")

    def resolve_held(self, connector_id: int, *, confirm: bool) -> RunResult:
        self.calls.append(("resolve_held", connector_id, {"confirm": confirm}))
        return RunResult(13, "succeeded")

    def discard_first_run(self, connector_id: int) -> bool:
        self.calls.append(("discard_first_run", connector_id, {}))
        return True


@pytest.fixture
def connector_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """A data dir with a migrated database and one connector called ``main``."""
    monkeypatch.setenv("CCSYNC_DATA_DIR", str(tmp_path))
    settings = get_settings()
    configure_encryption(settings.fernet_keys)
    engine = init_db(settings.database_url)
    with session_factory(engine).begin() as session:
        owner = repos.create_user(session, "boss", "a-long-password-here", role="admin")
        row = repos.create_connector(session, "main", owner.id)
    engine.dispose()
    yield row.id


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> RecordingBackend:
    recording = RecordingBackend()

    def backend_for(settings: AppSettings) -> JobBackend:
        return recording

    monkeypatch.setattr(sync_cmd, "backend", backend_for)
    return recording


def test_preview_goes_through_the_backend(connector_id: int, backend: RecordingBackend) -> None:
    result = CliRunner().invoke(app, ["preview", "main", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["run_id"] == 12
    assert backend.calls == [("preview", connector_id, {})]


@pytest.mark.parametrize("flag", ["--confirm", "--discard"])
def test_held_confirm_and_discard_go_through_the_backend(
    connector_id: int, backend: RecordingBackend, flag: str
) -> None:
    result = CliRunner().invoke(app, ["held", "main", flag, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["run_id"] == 13
    assert backend.calls == [("resolve_held", connector_id, {"confirm": flag == "--confirm"})]


def test_sync_goes_through_the_backend(connector_id: int, backend: RecordingBackend) -> None:
    result = CliRunner().invoke(app, ["sync", "main", "--confirm", "--json"])
    assert result.exit_code == 0, result.output
    assert backend.calls == [("run_now", connector_id, {"trigger": "cli", "confirm": True})]


def test_the_cli_backend_is_the_foreground_backend(tmp_path: Path) -> None:
    assert isinstance(sync_cmd.backend(get_settings(data_dir=tmp_path)), ForegroundBackend)
