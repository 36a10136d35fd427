"""``ccsync emulate constant-contact``: flags, start-up (seed or state file) and serving."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import typer

from ccsync.emulators import serve
from ccsync.emulators.clock import Clock, parse_start
from ccsync.emulators.constantcontact import seed
from ccsync.emulators.constantcontact.app import create_app
from ccsync.emulators.constantcontact.config import EmulatorConfig, coerce
from ccsync.emulators.constantcontact.state import EmulatorState, Saver

DEFAULT_REDIRECTS = ["http://127.0.0.1:8765/oauth/callback", "http://localhost:8765/oauth/callback"]
AUTHZ = "/oauth2/default/v1"


def command(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8701, help="Port (0 picks a free one)."),
    client_id: str = typer.Option("ccsync-demo-client", help="The application's API key."),
    client_secret: str = typer.Option("ccsync-demo-secret", help="The application's secret."),
    redirect_uri: list[str] = typer.Option([], help="Allowed redirect URI (repeatable)."),
    refresh_tokens: str = typer.Option("rotating", help="rotating | long-lived"),
    auto_approve: bool = typer.Option(False, help="Authorize account 1 without pages."),
    rate_limit: float = typer.Option(4.0, help="Requests per second per application; 0 = off."),
    daily_quota: int = typer.Option(10000, help="Requests per UTC day per application; 0 = off."),
    seed_contacts: int = typer.Option(0, help="Realistic contacts to create per account."),
    seed_value: int = typer.Option(0, "--seed", help="Random seed of the seeded contacts."),
    accounts: int = typer.Option(1, help="Constant Contact accounts on this application."),
    pkce: str = typer.Option("accepted", help="accepted | rejected | required"),
    state_file: Path | None = typer.Option(None, help="Persist state across restarts (JSON)."),
    profile: str = typer.Option("default", help="default | pessimistic | optimistic"),
    activity_rate: float | None = typer.Option(None, help="Contacts per second an activity does."),
    activity_delay: float | None = typer.Option(None, help="Seconds an activity waits queued."),
    updated_after: str | None = typer.Option(None, help="inclusive | exclusive"),
    delete_bumps_updated: str | None = typer.Option(None, help="yes | no"),
    optout_bumps_updated: str | None = typer.Option(None, help="yes | no"),
    membership_bumps_updated: str | None = typer.Option(None, help="yes | no"),
    order: str | None = typer.Option(None, help="GET /contacts order: created | updated | random"),
    put_without_permission: str | None = typer.Option(None, help="keep | reset"),
    phone_format: str | None = typer.Option(None, help="keep | reformat"),
    default_status: str | None = typer.Option(None, help="non_deleted | active"),
    email_filter_deleted: str | None = typer.Option(None, help="yes | no"),
    redelete: int | None = typer.Option(None, help="Status of DELETE on a deleted contact."),
    oversize_import: str | None = typer.Option(None, help="reject | truncate (over 4 MB)"),
    clock: str | None = typer.Option(
        None, help="Start the emulator clock at this ISO instant (reset returns to it)."
    ),
    freeze_clock: bool = typer.Option(False, help="Start (and reset) with the clock frozen."),
) -> None:
    """Emulate the Constant Contact v3 API and its OAuth2 server on loopback."""
    overrides = {k: v for k, v in locals().items() if k in _UNKNOWN_FLAGS and v is not None}
    config = EmulatorConfig(
        client_id=client_id,
        client_secret=client_secret,
        redirect_uris=list(redirect_uri) or list(DEFAULT_REDIRECTS),
    )
    try:
        config.use_profile(profile)
        _apply_flags(config, overrides, refresh_tokens, pkce, auto_approve, rate_limit, daily_quota)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    try:
        start = parse_start(clock)
    except ValueError as exc:
        raise typer.BadParameter(f"not an ISO instant: {clock!r}", param_hint="--clock") from exc
    state = EmulatorState(config, Clock(start, freeze_clock), state_file)
    if not _load(state):
        for number in range(1, max(accounts, 1) + 1):
            state.add_account(number)
        seed.seed_all(state, seed_contacts, seed_value)
    _serve(state, host, port)


def _load(state: EmulatorState) -> bool:
    try:
        return state.load()
    except (ValueError, KeyError, TypeError, OSError) as exc:
        raise typer.BadParameter(f"cannot read the state file: {exc}") from exc


_UNKNOWN_FLAGS = (
    "activity_rate",
    "activity_delay",
    "updated_after",
    "delete_bumps_updated",
    "optout_bumps_updated",
    "membership_bumps_updated",
    "order",
    "put_without_permission",
    "phone_format",
    "default_status",
    "email_filter_deleted",
    "redelete",
    "oversize_import",
)


def _apply_flags(config: EmulatorConfig, overrides: dict[str, Any], *fixed: Any) -> None:
    refresh_tokens, pkce, auto_approve, rate_limit, daily_quota = fixed
    settings = {
        "refresh_tokens": refresh_tokens,
        "pkce": pkce,
        "auto_approve": auto_approve,
        "rate_limit": rate_limit,
        "daily_quota": daily_quota,
        **overrides,
    }
    for key, value in settings.items():
        setattr(config, key, coerce(key, value))


def _serve(state: EmulatorState, host: str, port: int) -> None:
    app, _ = create_app(state)
    saver = Saver(state)
    saver.start()
    # uvicorn re-raises the SIGTERM it caught once it has shut down; with the default handler
    # that would kill the process before the final save below.
    signal.signal(signal.SIGTERM, _exit)
    try:
        serve.run(app, host, port, lambda base: announce(state, base))
    finally:
        saver.stop()


def _exit(signum: int, frame: object) -> None:
    raise SystemExit(0)


def announce(state: EmulatorState, base_url: str) -> list[str]:
    """The lines printed once the emulator listens."""
    lines = [
        f"Constant Contact emulator listening on {base_url}",
        f"  API base URL:    {base_url}/v3",
        f"  authorize URL:   {base_url}{AUTHZ}/authorize",
        f"  token URL:       {base_url}{AUTHZ}/token",
        f"  revoke URL:      {base_url}{AUTHZ}/revoke",
        f"  client id:       {state.config.client_id}",
        f"  profile:         {state.config.profile}",
    ]
    for account in state.accounts.values():
        lines.append(
            f"  account {account.number}: login {account.login} password {account.password} "
            f"({len(account.contacts)} contacts)"
        )
    return lines
