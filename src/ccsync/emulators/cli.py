"""``ccsync emulate constant-contact|vtiger``: the bundled emulators."""

from __future__ import annotations

import typer

app = typer.Typer(help="Run an emulator of a provider's API on loopback.", no_args_is_help=True)


def _register() -> None:
    from ccsync.emulators.constantcontact.cli import command as cc_command
    from ccsync.emulators.vtiger.cli import command as vt_command

    app.command("constant-contact")(cc_command)
    app.command("vtiger")(vt_command)


_register()
