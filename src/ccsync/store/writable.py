"""Is the database writable? A probe before starting work, and a test for read-only errors."""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

READ_ONLY_MESSAGE = (
    "The database cannot be written (it is read-only: check the file and directory "
    "permissions, the disk, or the database role)."
)
_MARKERS = (
    "readonly database",  # SQLite: attempt to write a readonly database
    "read-only transaction",  # PostgreSQL: cannot execute ... in a read-only transaction
    "read-only file system",
    "disk i/o error",
)


def is_read_only_error(exc: BaseException) -> bool:
    """True when ``exc`` says the database refused a write."""
    if not isinstance(exc, DBAPIError):
        return False
    text_ = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    return any(marker in text_ for marker in _MARKERS)


def write_problem(engine: Engine) -> str | None:
    """None when a write transaction can start, else the sentence saying why not.

    The probe writes nothing: an ``UPDATE`` that matches no row still needs write access on
    both SQLite and PostgreSQL, and the transaction is rolled back.
    """
    try:
        with engine.connect() as conn, conn.begin() as tx:
            conn.execute(text("UPDATE users SET role = role WHERE 1 = 0"))
            tx.rollback()
    except SQLAlchemyError as exc:
        if is_read_only_error(exc):
            return READ_ONLY_MESSAGE
        return f"The database cannot be written: {type(exc).__name__}."
    return None
