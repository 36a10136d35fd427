"""Dialect-specific ``INSERT … ON CONFLICT`` for the two databases the store supports."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CursorResult, Result
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ccsync.errors import ConfigError

Insert = postgresql.Insert | sqlite.Insert


def dialect_insert(session: Session, model: Any) -> Insert:
    """An ``INSERT`` for ``model`` that supports ``on_conflict_do_update`` on this dialect.

    Args:
        session: a session bound to the store's engine.
        model: an ORM class or table.

    Returns:
        A PostgreSQL or SQLite insert construct.

    Raises:
        ConfigError: the engine is neither SQLite nor PostgreSQL.
    """
    name = session.get_bind().dialect.name
    # rowcount of an INSERT is only kept on request; upserts report whether they wrote.
    if name == "postgresql":
        return postgresql.insert(model).execution_options(preserve_rowcount=True)
    if name == "sqlite":
        return sqlite.insert(model).execution_options(preserve_rowcount=True)
    raise ConfigError(f"the store supports SQLite and PostgreSQL, not {name}")


def rowcount(result: Result[Any]) -> int:
    """Rows matched by the DML statement that produced ``result``."""
    if not isinstance(result, CursorResult):  # pragma: no cover - DML always gives a cursor
        raise TypeError("rowcount needs the result of an INSERT, UPDATE or DELETE")
    return result.rowcount
