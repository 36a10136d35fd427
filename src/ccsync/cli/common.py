"""Shared plumbing of the CLI commands: settings, store sessions, connector lookup, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ccsync.errors import ConfigError
from ccsync.settings import AppSettings, get_settings
from ccsync.store import repos
from ccsync.store.crypto import configure_encryption
from ccsync.store.db import init_db, session_factory
from ccsync.store.repos import ConnectorRow
from ccsync.store.writable import READ_ONLY_MESSAGE, is_read_only_error

console = Console()
errors = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` on stderr and return the ``Exit`` to raise."""
    errors.print(f"[red]Error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def load_settings() -> AppSettings:
    """The installation's settings (from ``CCSYNC_*``), or a clear error."""
    try:
        return get_settings()
    except ConfigError as exc:
        raise fail(str(exc)) from None


@contextmanager
def store(settings: AppSettings | None = None) -> Iterator[sessionmaker[Session]]:
    """Sessions on the migrated database (migrations run on first use)."""
    settings = settings or load_settings()
    configure_encryption(settings.fernet_keys)
    engine = init_db(settings.database_url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def connector_by_name(sessions: sessionmaker[Session], name: str) -> ConnectorRow:
    """The connector called ``name``, or exit with a clear error."""
    with sessions.begin() as session:
        row = repos.get_connector_by_name(session, name)
    if row is None:
        raise fail(f"no connector named {name!r} (see `ccsync connector list`)")
    return row


def database_message(exc: SQLAlchemyError) -> str:
    """One sentence for a database failure (never the SQL or its values)."""
    if is_read_only_error(exc):
        return READ_ONLY_MESSAGE
    orig = getattr(exc, "orig", None)
    return f"the database refused the request ({type(orig or exc).__name__})"


@contextmanager
def database_errors(as_json: bool = False) -> Iterator[None]:
    """Turn a database failure into a clear error and exit 1, instead of a traceback.

    With ``as_json`` the command still prints its one JSON object
    (``{"status": "failed", "error": ...}``) on stdout.
    """
    try:
        yield
    except SQLAlchemyError as exc:
        message = database_message(exc)
        if as_json:
            typer.echo(json.dumps({"error": message, "run_id": None, "status": "failed"}))
            raise typer.Exit(1) from None
        raise fail(message) from None
