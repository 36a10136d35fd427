"""The ``ccsync`` command line. Each area registers its commands from its own module."""

from __future__ import annotations

import typer

from ccsync.cli import budget as budget_cmd
from ccsync.cli import connector, db, emulate, web
from ccsync.cli import log as log_cmd
from ccsync.cli import sync as sync_cmd
from ccsync.cli.common import database_errors

app = typer.Typer(
    name="ccsync",
    help="Keep Vtiger CRM Contacts and Constant Contact contacts in sync.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(emulate.app, name="emulate")
web.register(app)
app.add_typer(connector.app, name="connector")
app.add_typer(db.app, name="db")
app.command("sync")(sync_cmd.sync)
app.command("preview")(sync_cmd.preview)
app.command("held")(sync_cmd.held)
app.command("log")(log_cmd.log)
app.command("budget")(budget_cmd.budget)


def main() -> None:
    """Console-script entry point (a database failure is one clear line, not a traceback)."""
    with database_errors():
        app()
