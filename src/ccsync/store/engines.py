"""Engines for SQLite (embedded default) and PostgreSQL (psycopg 3), with the settings ccsync needs.

SQLite runs in WAL mode with a 30 s busy timeout and foreign keys on, so the web app, the
scheduler and a CLI run can share one file. PostgreSQL URLs are normalised to the psycopg 3
driver (``postgresql+psycopg://``). ``store.db.init_db`` migrates the database and returns such an
engine; the migrations build theirs here too::

    engine = make_engine(settings.database_url)      # not migrated
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

BUSY_TIMEOUT_S = 30


def normalise_url(url: str) -> str:
    """Map ``postgres://`` and ``postgresql://`` URLs to the psycopg 3 driver.

    Args:
        url: a SQLAlchemy database URL.

    Returns:
        The URL with an explicit driver for PostgreSQL, unchanged otherwise.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL + NORMAL is durable across application crashes; only an OS crash may lose the
        # last transactions, which the sync then re-reads (watermarks lag behind writes).
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine with the pragmas and driver ccsync needs.

    Args:
        url: ``sqlite:///path``, ``sqlite://`` (memory) or a PostgreSQL URL.

    Returns:
        A new engine (not migrated; see ``init_db``).
    """
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # No server-side prepared statements: a transaction that grows a table from empty (a first
    # sync writing 100,000 links) made PostgreSQL switch to generic plans that scan the whole
    # connector for every row (measured: quadratic upserts). Prepared statements also break
    # behind PgBouncer in transaction mode.
    return create_engine(url, pool_pre_ping=True, connect_args={"prepare_threshold": None})
