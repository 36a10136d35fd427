"""``ccsync connector add|list|show|set|remove|authorize|revoke``.

Secrets are never command-line values (``ps`` and shell history would show them): the Vtiger
access key comes from ``CCSYNC_VTIGER_ACCESS_KEY``, ``--vtiger-access-key-file`` or a hidden
prompt; the CC client secret from ``CCSYNC_CC_CLIENT_SECRET``, ``--cc-client-secret-file`` or a
hidden prompt.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ccsync.cli.common import connector_by_name, console, fail, load_settings, store
from ccsync.cli.oauth import authorize, revoke
from ccsync.engine.config import ConnectorConfig
from ccsync.errors import AlreadyExists, ConfigError
from ccsync.store import repos

app = typer.Typer(help="Add, configure, authorize and remove connectors.", no_args_is_help=True)

DEBUG_HOURS = 24
HIDDEN = {"client_secret", "vtiger_access_key"}

Owner = Annotated[str | None, typer.Option(help="ccsync user who owns the connector.")]
VtUrl = Annotated[str | None, typer.Option(help="Vtiger base URL.")]
VtUser = Annotated[str | None, typer.Option(help="Vtiger user name.")]
VtFlavour = Annotated[str | None, typer.Option(help="webservice|restapi")]
VtTz = Annotated[str | None, typer.Option(help="IANA zone of Vtiger's timestamps.")]
VtKeyFile = Annotated[Path | None, typer.Option(help="File holding the Vtiger access key.")]
CcId = Annotated[str | None, typer.Option(help="CC client id (API key).")]
CcUrl = Annotated[str | None, typer.Option()]
CcScopes = Annotated[str | None, typer.Option(help="OAuth scopes.")]
CcSecretFile = Annotated[Path | None, typer.Option(help="File holding the CC client secret.")]
Pkce = Annotated[str | None, typer.Option(help="auto|on|off")]
Direction = Annotated[str | None, typer.Option(help="both|crm-to-cc|cc-to-crm")]
RecordsFrom = Annotated[str | None, typer.Option(help="7d|30d|90d|1y|all|YYYY-MM-DD")]
Policy = Annotated[str | None, typer.Option(help="newest|crm|cc")]
CrmDel = Annotated[str | None, typer.Option(help="mirror|unlist|ignore")]
CcDel = Annotated[str | None, typer.Option(help="mirror|ignore")]
Frequency = Annotated[str | None, typer.Option(help="off|5m|15m|30m|60m|4h|daily")]
TargetList = Annotated[str | None, typer.Option(help="CC list for CRM contacts.")]
CrmScope = Annotated[str | None, typer.Option(help="assigned|all")]
CcScope = Annotated[str | None, typer.Option(help="account|lists")]
Debug = Annotated[bool | None, typer.Option("--debug/--no-debug", help="Debug Mode (24 h).")]


def settings_changes(options: Mapping[str, Any]) -> dict[str, Any]:
    """The ``ConnectorConfig`` fields among a command's options that were given.

    Args:
        options: the command's parameters (``locals()`` at its top); names that are not
            settings (name, owner, secret files, debug) are ignored. CLI spellings are mapped.
    """
    names = {f.name for f in fields(ConnectorConfig)}
    out = {k: v for k, v in options.items() if k in names and v is not None}
    if "direction" in out:
        out["direction"] = str(out["direction"]).replace("-", "_")
    return out


def _secret(env: str, path: Path | None, prompt: str, *, ask: bool) -> str | None:
    """A secret from a file option, the environment, or a hidden prompt (in that order)."""
    if path is not None:
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise fail(f"cannot read {path}: {exc.strerror}") from None
    if os.environ.get(env):
        return os.environ[env].strip()
    if not ask:
        return None
    value: str = typer.prompt(prompt, hide_input=True, default="", show_default=False)
    return value.strip()


def _validated(base: ConnectorConfig, changes: dict[str, Any]) -> ConnectorConfig:
    try:
        return base.updated(**changes)
    except (ConfigError, TypeError) as exc:
        raise fail(str(exc)) from None


def _debug_until(debug: bool | None) -> datetime | None:
    return datetime.now(UTC) + timedelta(hours=DEBUG_HOURS) if debug else None


@app.command("add")
def add(
    name: str,
    owner: Owner = None,
    vtiger_url: VtUrl = None,
    vtiger_username: VtUser = None,
    vtiger_flavour: VtFlavour = None,
    vtiger_timezone: VtTz = None,
    vtiger_access_key_file: VtKeyFile = None,
    cc_client_id: CcId = None,
    cc_auth_url: CcUrl = None,
    cc_token_url: CcUrl = None,
    cc_revoke_url: CcUrl = None,
    cc_api_url: CcUrl = None,
    cc_redirect_uri: CcUrl = None,
    cc_scopes: CcScopes = None,
    cc_client_secret_file: CcSecretFile = None,
    pkce: Pkce = None,
    direction: Direction = None,
    sync_records_from: RecordsFrom = None,
    conflict_policy: Policy = None,
    crm_delete_policy: CrmDel = None,
    cc_delete_policy: CcDel = None,
    frequency: Frequency = None,
    target_list: TargetList = None,
    crm_scope: CrmScope = None,
    cc_scope: CcScope = None,
    debug: Debug = None,
) -> None:
    """Add a connector (admins); secrets come from the environment, a file or a prompt."""
    changes = settings_changes(locals())
    config = _validated(ConnectorConfig(), changes)
    if "offline_access" not in config.cc_scopes.split():
        console.print(
            "[yellow]Warning:[/yellow] without offline_access the connection dies in 24 h"
        )
    key = _secret("CCSYNC_VTIGER_ACCESS_KEY", vtiger_access_key_file, "Vtiger access key", ask=True)
    secret = _secret("CCSYNC_CC_CLIENT_SECRET", cc_client_secret_file, "CC client secret", ask=True)
    with store() as sessions, sessions.begin() as session:
        user = _owner(session, owner)
        try:
            row = repos.create_connector(
                session, name, user, config.to_dict(), client_secret=secret or None,
                vtiger_access_key=key or None, status="needs_sign_in",
            )  # fmt: skip
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
def set_(
    name: str,
    vtiger_url: VtUrl = None,
    vtiger_username: VtUser = None,
    vtiger_flavour: VtFlavour = None,
    vtiger_timezone: VtTz = None,
    vtiger_access_key_file: VtKeyFile = None,
    cc_client_id: CcId = None,
    cc_auth_url: CcUrl = None,
    cc_token_url: CcUrl = None,
    cc_revoke_url: CcUrl = None,
    cc_api_url: CcUrl = None,
    cc_redirect_uri: CcUrl = None,
    cc_scopes: CcScopes = None,
    cc_client_secret_file: CcSecretFile = None,
    pkce: Pkce = None,
    direction: Direction = None,
    sync_records_from: RecordsFrom = None,
    conflict_policy: Policy = None,
    crm_delete_policy: CrmDel = None,
    cc_delete_policy: CcDel = None,
    frequency: Frequency = None,
    target_list: TargetList = None,
    crm_scope: CrmScope = None,
    cc_scope: CcScope = None,
    debug: Debug = None,
) -> None:
    """Change settings of a connector (only the options given)."""
    changes = settings_changes(locals())
    key = _secret("CCSYNC_VTIGER_ACCESS_KEY", vtiger_access_key_file, "", ask=False)
    secret = _secret("CCSYNC_CC_CLIENT_SECRET", cc_client_secret_file, "", ask=False)
    with store() as sessions:
        row = connector_by_name(sessions, name)
        config = _validated(ConnectorConfig.from_dict(row.settings), changes)
        with sessions.begin() as session:
            repos.update_connector_settings(session, row.id, config.to_dict())
            _set_secrets(session, row.id, key, secret)
            if key or {"vtiger_url", "vtiger_username", "vtiger_flavour"} & set(changes):
                repos.clear_crm_auth(session, row.id)
            if debug is not None:
                repos.update_connector(session, row.id, debug_until=_debug_until(debug))
    console.print(f"Connector [bold]{name}[/bold] updated.")


def _set_secrets(session: Any, connector_id: int, key: str | None, secret: str | None) -> None:
    if key:
        repos.set_connector_secrets(session, connector_id, vtiger_access_key=key)
    if secret:
        repos.set_connector_secrets(session, connector_id, client_secret=secret)


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


@app.command("show")
def show(name: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show a connector's settings (secrets only as set / not set)."""
    with store() as sessions:
        row = connector_by_name(sessions, name)
    data = {
        "id": row.id,
        "name": row.name,
        "status": row.status,
        "status_detail": row.status_detail,
        "cc_account_id": row.cc_account_id,
        "debug_until": row.debug_until.isoformat() if row.debug_until else None,
        "settings": ConnectorConfig.from_dict(row.settings).to_dict(),
        "client_secret": "set" if row.client_secret else "not set",
        "vtiger_access_key": "set" if row.vtiger_access_key else "not set",
    }
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    table = Table("setting", "value")
    nested = ConnectorConfig.from_dict(row.settings).to_dict()
    for key, value in {**data, **nested}.items():
        if key != "settings":
            table.add_row(key, str(value))
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
