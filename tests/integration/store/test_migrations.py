"""Migrations: upgrade → downgrade → upgrade on both dialects; models match the history."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from ccsync.store import migrations
from ccsync.store.db import init_db
from ccsync.store.engines import make_engine
from ccsync.store.models import Base

from . import workers

TABLES = {t.name for t in Base.metadata.sorted_tables}


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def _diff(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def _round_trip(engine: Engine) -> None:
    assert _tables(engine) == TABLES
    assert migrations.current_revision(engine) == migrations.head_revision()
    migrations.downgrade_engine(engine, "base")
    assert _tables(engine) == set()
    assert migrations.current_revision(engine) is None
    migrations.upgrade_engine(engine)
    assert _tables(engine) == TABLES
    assert _diff(engine) == []


def test_sqlite_upgrade_downgrade_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = init_db(url)
    try:
        _round_trip(engine)
    finally:
        engine.dispose()


def test_url_api_upgrades_and_downgrades(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'api.db'}"
    migrations.upgrade(url)
    migrations.upgrade(url)  # idempotent at head
    engine = make_engine(url)
    try:
        assert _tables(engine) == TABLES
        migrations.downgrade(url, "base")
        assert _tables(engine) == set()
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_upgrade_downgrade_upgrade(pg_engine: Engine) -> None:
    _round_trip(pg_engine)


def test_processes_starting_together_migrate_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'race.db'}"
    barrier = workers.new_barrier(2)
    revisions = workers.run_processes(workers.migrate_at_once, [(url, barrier), (url, barrier)])
    assert revisions == [migrations.head_revision()] * 2
    engine = make_engine(url)
    try:
        assert _tables(engine) == TABLES
    finally:
        engine.dispose()


def test_schema_drift_is_detected(tmp_path: Path) -> None:
    # The comparison above must be able to fail: a database missing an index shows a diff.
    engine = init_db(f"sqlite:///{tmp_path / 'd.db'}")
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP INDEX ix_run_items_drill")
        assert any("ix_run_items_drill" in repr(d) for d in _diff(engine))
    finally:
        engine.dispose()


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    try:
        with engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA busy_timeout").scalar() == 30000
            assert pragma("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_postgres_urls_use_psycopg3() -> None:
    engine = make_engine("postgresql://u@127.0.0.1:5432/x")
    try:
        assert engine.dialect.driver == "psycopg"
    finally:
        engine.dispose()
