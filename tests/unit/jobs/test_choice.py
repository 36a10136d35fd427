"""Which backend the settings pick, and the queue's small rules (priorities, the tick's cron)."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from ccsync.errors import ConfigError
from ccsync.jobs.backend import ForegroundBackend, ServingBackend
from ccsync.jobs.choice import cli_backend, serving_backend, uses_queue
from ccsync.jobs.local import LocalBackend
from ccsync.jobs.queue import ProcrastinateBackend, connector_lock, run_priority, tick_cron
from ccsync.settings import get_settings
from ccsync.store.db import init_db, session_factory

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/ccsync_unused"
KEY = "uX8sC3gYQ2l3mJYx7fGb2vJk3s0m3xq9m0j3z5m0Z1s="


def test_the_embedded_default_keeps_apscheduler_and_the_foreground(tmp_path: Path) -> None:
    settings = get_settings(data_dir=tmp_path)
    engine = init_db(settings.database_url)
    try:
        assert not uses_queue(settings)
        assert isinstance(serving_backend(settings, session_factory(engine)), LocalBackend)
        assert isinstance(cli_backend(settings), ForegroundBackend)
    finally:
        engine.dispose()


def test_procrastinate_is_picked_from_the_settings_without_connecting(tmp_path: Path) -> None:
    settings = get_settings(
        data_dir=tmp_path, database_url=PG, secret_keys=KEY, jobs="procrastinate"
    )
    assert settings.postgres_dsn == "postgresql://postgres@127.0.0.1:5432/ccsync_unused"
    backend = cli_backend(settings)
    assert isinstance(backend, ProcrastinateBackend)
    backend.shutdown()  # never opened: nothing connected


def test_the_queue_needs_postgresql_and_a_tick_that_divides_a_minute(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PostgreSQL"):
        get_settings(data_dir=tmp_path, jobs="procrastinate")
    with pytest.raises(ConfigError, match="divide 60"):
        get_settings(data_dir=tmp_path, tick_seconds=7)
    with pytest.raises(ConfigError, match="twice"):
        get_settings(data_dir=tmp_path, worker_heartbeat_s=10, worker_stalled_s=15)


def test_quiet_runs_and_people_go_first_and_the_tick_cron() -> None:
    assert run_priority(first=False, trigger="schedule") > run_priority(
        first=True, trigger="manual"
    )
    assert run_priority(first=True, trigger="manual") > run_priority(first=True, trigger="schedule")
    assert tick_cron(60) == "* * * * *" and tick_cron(5) == "* * * * * */5"
    assert connector_lock(42) == "connector:42"


def test_both_serving_backends_have_what_the_web_app_needs() -> None:
    wanted = {"start", "shutdown", "reload", "forget_failure", "state", "next_runs"}
    members = {n for n, _ in inspect.getmembers(ServingBackend) if not n.startswith("_")}
    assert wanted <= members
    for backend in (LocalBackend, ProcrastinateBackend):
        assert all(callable(getattr(backend, name)) for name in wanted), backend
