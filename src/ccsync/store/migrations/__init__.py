"""Alembic migrations of the store, with a small Python API for the CLI and tests.

There is no ``alembic.ini``: the configuration is built here, so ``ccsync db upgrade`` works from
an installed wheel. One history serves SQLite (batch mode for ``ALTER``) and PostgreSQL::

    upgrade("sqlite:///data/ccsync.db")          # to head
    downgrade("sqlite:///data/ccsync.db", "base")
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from filelock import FileLock
from sqlalchemy import Engine

from ccsync.store.engines import make_engine

HERE = Path(__file__).resolve().parent


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic ``Config`` for the store's migrations.

    Args:
        engine: when given, migrations run on a connection of this engine.

    Returns:
        The configuration (``script_location`` set; no ini file).
    """
    config = Config()
    config.set_main_option("script_location", str(HERE))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def _migration_lock(engine: Engine) -> AbstractContextManager[object]:
    # SQLite DDL is not transactional in Alembic, so two processes starting together (web app
    # and worker) would both create tables; a lock file beside the database serialises them.
    # PostgreSQL takes an advisory lock inside the migration transaction (env.py).
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return nullcontext()
    # A URI filename (``sqlite:///file:/path/x.db?mode=ro&uri=true``) names the file after "file:".
    return FileLock(f"{database.removeprefix('file:')}.migrate.lock", timeout=120)


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to ``revision``."""
    with _migration_lock(engine):
        command.upgrade(alembic_config(engine), revision)


def downgrade_engine(engine: Engine, revision: str) -> None:
    """Downgrade the database behind ``engine`` to ``revision`` (``"base"`` drops everything)."""
    with _migration_lock(engine):
        command.downgrade(alembic_config(engine), revision)


def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade the database at ``url`` to ``revision`` (default: the newest).

    Args:
        url: the database URL.
        revision: target revision id, or ``"head"``.
    """
    engine = _engine(url)
    try:
        upgrade_engine(engine, revision)
    finally:
        engine.dispose()


def downgrade(url: str, revision: str) -> None:
    """Downgrade the database at ``url`` to ``revision`` (``"base"`` removes every table).

    Args:
        url: the database URL.
        revision: target revision id, ``"base"`` or a relative step such as ``"-1"``.
    """
    engine = _engine(url)
    try:
        downgrade_engine(engine, revision)
    finally:
        engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None`` when never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest revision of the migration history."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the history always has a revision
        raise RuntimeError("the migration history is empty")
    return head


def _engine(url: str) -> Engine:
    # The store's engine applies the SQLite pragmas (foreign keys, busy timeout) to migrations too.
    return make_engine(url)
