"""Shared plumbing of the CLI commands: settings, store sessions, connector lookup, errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from ccsync.errors import ConfigError
from ccsync.settings import AppSettings, get_settings
from ccsync.store import repos
from ccsync.store.crypto import configure_encryption
from ccsync.store.db import init_db, session_factory
from ccsync.store.repos import ConnectorRow

console = Console()
errors = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` on stderr and return the ``Exit`` to raise."""
    errors.print(f"[red]Error:[/red] {message}", highlight=False)
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
