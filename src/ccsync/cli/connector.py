"""``ccsync connector add|list|show|set|remove|authorize|revoke``.

The options of ``add`` and ``set`` are built from the settings models (``cli/setting_options``):
one per setting, named after its key (``--vtiger-url``, ``--direction``), with its description as
help. Secrets are never command-line values (``ps`` and shell history would show them): the
Vtiger access key comes from ``CCSYNC_VTIGER_ACCESS_KEY``, ``--vtiger-access-key-file`` or a
hidden prompt; the CC client secret from ``CCSYNC_CC_CLIENT_SECRET``, ``--cc-client-secret-file``
or a hidden prompt.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.table import Table

from ccsync.cli.common import connector_by_name, console, fail, load_settings, store
from ccsync.cli.oauth import authorize, revoke
from ccsync.cli.setting_options import given_secrets, given_settings, with_setting_options
from ccsync.connectors.constantcontact.settings import CCConfig
from ccsync.engine.config import SETTINGS, ConnectorConfig, load_config, secret_columns
from ccsync.errors import AlreadyExists, ConfigError
from ccsync.store import repos

app = typer.Typer(help="Add, configure, authorize and remove connectors.", no_args_is_help=True)

DEBUG_HOURS = 24

Owner = Annotated[str | None, typer.Option(help="ccsync user who owns the connector.")]
Debug = Annotated[bool | None, typer.Option("--debug/--no-debug", help="Debug Mode (24 h).")]


def _validated(base: ConnectorConfig, changes: dict[str, Any]) -> ConnectorConfig:
    try:
        return base.updated(**changes)
    except ConfigError as exc:
        raise fail(str(exc)) from None


def _debug_until(debug: bool | None) -> datetime | None:
    return datetime.now(UTC) + timedelta(hours=DEBUG_HOURS) if debug else None


@app.command("add")
@with_setting_options(SETTINGS)
def add(name: str, owner: Owner = None, debug: Debug = None, **options: Any) -> None:
    """Add a connector (admins); secrets come from the environment, a file or a prompt."""
    config = _validated(ConnectorConfig(), given_settings(options, SETTINGS))
    if isinstance(config.cc, CCConfig) and "offline_access" not in config.cc.scopes.split():
        console.print(
            "[yellow]Warning:[/yellow] without offline_access the connection dies in 24 h"
        )
    secrets = secret_columns(given_secrets(options, SETTINGS, ask=True))
    with store() as sessions, sessions.begin() as session:
        user = _owner(session, owner)
        try:
            row = repos.create_connector(
                session, name, user, config.stored(), status="needs_sign_in", **secrets
            )
        except AlreadyExists as exc:
            raise fail(str(exc)) from None
        if debug:
            repos.update_connector(session, row.id, debug_until=_debug_until(debug))
    console.print(
        f"Connector [bold]{name}[/bold] added (id {row.id}). "
        f"Next: ccsync connector authorize {name}"
    )


def _owner(session: Any, owner: str | None) -> int:
    if owner is not None:
        user = repos.get_user_by_name(session, owner)
        if user is None:
            raise fail(f"no ccsync user named {owner!r}")
        return user.id
    admins = [u for u in repos.list_users(session) if u.is_admin]
    if not admins:
        raise fail("no ccsync user yet: create one first, or pass --owner")
    return admins[0].id


@app.command("set")
@with_setting_options(SETTINGS)
def set_(name: str, debug: Debug = None, **options: Any) -> None:
    """Change settings of a connector (only the options given)."""
    changes = given_settings(options, SETTINGS)
    secrets = given_secrets(options, SETTINGS, ask=False)
    with store() as sessions:
        row = connector_by_name(sessions, name)
        old = load_config(row)
        config = _validated(old, {**changes, **secrets})
        with sessions.begin() as session:
            repos.update_connector_settings(session, row.id, config.stored_patch(changes))
            if secrets:
                repos.set_connector_secrets(session, row.id, **secret_columns(secrets))
            if not old.crm.same_login(config.crm):
                repos.clear_crm_auth(session, row.id)
            if debug is not None:
                repos.update_connector(session, row.id, debug_until=_debug_until(debug))
    console.print(f"Connector [bold]{name}[/bold] updated.")


@app.command("show")
def show(name: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show a connector's settings (secrets only as set / not set)."""
    with store() as sessions:
        row = connector_by_name(sessions, name)
    config = load_config(row)
    data = {
        "id": row.id,
        "name": row.name,
        "status": row.status,
        "status_detail": row.status_detail,
        "cc_account_id": row.cc_account_id,
        "debug_until": row.debug_until.isoformat() if row.debug_until else None,
        "settings": config.stored(),
        "client_secret": "set" if row.client_secret else "not set",
        "vtiger_access_key": "set" if row.vtiger_access_key else "not set",
    }
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    table = Table("setting", "value")
    for key, value in data.items():
        if key != "settings":
            table.add_row(key, str(value))
    stored = config.stored()
    for spec in SETTINGS:
        if not spec.secret:
            table.add_row(spec.key, str(stored[spec.section][spec.name]))
    console.print(table)


@app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List connectors with their status."""
    with store() as sessions, sessions.begin() as session:
        rows = repos.list_connectors(session)
    if as_json:
        typer.echo(json.dumps([{"id": r.id, "name": r.name, "status": r.status} for r in rows]))
        return
    table = Table("id", "name", "status", "detail")
    for row in rows:
        table.add_row(str(row.id), row.name, row.status, row.status_detail or "")
    console.print(table)


@app.command("remove")
def remove(
    name: str, yes: Annotated[bool, typer.Option("--yes", help="Do not ask.")] = False
) -> None:
    """Delete a connector with its links, runs and tokens."""
    with store() as sessions:
        row = connector_by_name(sessions, name)
        if not yes and not typer.confirm(f"Delete connector {name} and all its data?"):
            raise typer.Exit(1)
        with sessions.begin() as session:
            repos.delete_connector(session, row.id)
    console.print(f"Connector [bold]{name}[/bold] removed.")


app.command("authorize")(authorize)
app.command("revoke")(revoke)
__all__ = ["app", "load_settings"]
