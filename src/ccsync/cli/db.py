"""``ccsync db upgrade|downgrade|current|rotate-keys``: migrations (Alembic) and key rotation."""

from __future__ import annotations

from typing import Annotated

import typer

from ccsync.cli.common import console, load_settings, store
from ccsync.store.engines import make_engine
from ccsync.store.migrations import current_revision, downgrade, head_revision, upgrade
from ccsync.store.rotation import rotate_all

app = typer.Typer(help="Database migrations.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_cmd(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Migrate the database to ``revision`` (default: the newest)."""
    settings = load_settings()
    upgrade(settings.database_url, revision)
    console.print(f"Database at revision {_current(settings.database_url)}.")


@app.command("downgrade")
def downgrade_cmd(revision: str) -> None:
    """Migrate the database back to ``revision``."""
    settings = load_settings()
    downgrade(settings.database_url, revision)
    console.print(f"Database at revision {_current(settings.database_url)}.")


@app.command("current")
def current_cmd() -> None:
    """Print the database's revision and the newest one."""
    settings = load_settings()
    console.print(f"current {_current(settings.database_url)}, head {head_revision()}")


@app.command("rotate-keys")
def rotate_keys_cmd() -> None:
    """Re-encrypt every stored secret with the first key of ``CCSYNC_SECRET_KEYS``.

    Put the new key first and keep the old ones after it; once this ran, the old keys can go.
    """
    with store() as sessions, sessions.begin() as session:
        count = rotate_all(session)
    console.print(f"Re-encrypted {count} stored secrets with the current key.")


def _current(url: str) -> str:
    engine = make_engine(url)
    try:
        return current_revision(engine) or "none"
    finally:
        engine.dispose()
