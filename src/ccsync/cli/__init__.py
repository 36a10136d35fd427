"""The ``ccsync`` command line. Each area registers its commands from its own module."""

from __future__ import annotations

import typer

from ccsync.cli import emulate

app = typer.Typer(
    name="ccsync",
    help="Keep Vtiger CRM Contacts and Constant Contact contacts in sync.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(emulate.app, name="emulate")


def main() -> None:
    """Console-script entry point."""
    app()
