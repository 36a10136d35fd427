"""``ccsync emulate vtiger``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from ccsync.emulators import serve
from ccsync.emulators.clock import parse_start
from ccsync.emulators.vtiger.app import build_app
from ccsync.emulators.vtiger.emulator import DEFAULT_ACCESS_KEY, Emulator, Settings, UserSpec
from ccsync.emulators.vtiger.restapi import PREFIX
from ccsync.emulators.vtiger.transport import ReasonPhraseProtocol


def command(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (loopback)."),
    port: int = typer.Option(0, help="Port (0 picks a free one)."),
    username: str = typer.Option("admin", help="Main (admin) user name."),
    access_key: str = typer.Option(DEFAULT_ACCESS_KEY, help="Main user's access key."),
    user: list[str] = typer.Option([], help="More users: NAME:ACCESSKEY:admin|user (repeatable)."),
    seed_contacts: int = typer.Option(0, help="Seed this many realistic contacts."),
    seed: int = typer.Option(0, help="Random seed for seeded data and faults."),
    id_prefix: str = typer.Option("12", help="Contacts webservice id prefix (describe.idPrefix)."),
    timezone: str = typer.Option("UTC", help="Server time zone of modifiedtime."),
    session_idle: float = typer.Option(1440.0, help="Seconds of inactivity that end a session."),
    sync_operation: str = typer.Option("broken", help="broken (HTTP 500 like PHP 8) or working."),
    flavour: str = typer.Option("webservice", help="webservice or restapi (Vtiger Cloud)."),
    state_file: Path | None = typer.Option(None, help="Persist state here across restarts."),
    quota_minute: int = typer.Option(60, help="restapi calls per minute (0 = off)."),
    quota_hour: int = typer.Option(4000, help="restapi calls per hour (0 = off)."),
    quota_day: int = typer.Option(7200, help="restapi calls per day (0 = off)."),
    clock: str | None = typer.Option(
        None, help="Start the emulator clock at this ISO instant (reset returns to it)."
    ),
    freeze_clock: bool = typer.Option(False, help="Start (and reset) with the clock frozen."),
) -> None:
    """Run a Vtiger CRM 8.2 emulator on loopback."""
    settings = Settings(
        username=username,
        access_key=access_key,
        users=[_user_spec(u) for u in user],
        seed_contacts=seed_contacts,
        seed=seed,
        id_prefix=_choice(id_prefix, None, "--id-prefix"),
        timezone=_zone(timezone),
        session_idle=session_idle,
        sync_operation=_choice(sync_operation, ("broken", "working"), "--sync-operation"),
        flavour=_choice(flavour, ("webservice", "restapi"), "--flavour"),
        state_file=state_file,
        quota_minute=quota_minute,
        quota_hour=quota_hour,
        quota_day=quota_day,
        clock_start=_instant(clock),
        clock_frozen=freeze_clock,
    )
    emulator = Emulator(settings)
    emulator.start_saver()
    try:
        serve.run(build_app(emulator), host, port, _announcer(settings), http=ReasonPhraseProtocol)
    finally:
        emulator.stop()


def _instant(text: str | None) -> datetime | None:
    try:
        return parse_start(text)
    except ValueError as exc:
        raise typer.BadParameter(f"not an ISO instant: {text!r}", param_hint="--clock") from exc


def _user_spec(text: str) -> UserSpec:
    try:
        return UserSpec.parse(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--user") from exc


def _choice(value: str, allowed: tuple[str, ...] | None, hint: str) -> str:
    if allowed is None:
        if not value.isdigit():
            raise typer.BadParameter("must be digits", param_hint=hint)
        return value
    if value not in allowed:
        raise typer.BadParameter(f"must be one of {', '.join(allowed)}", param_hint=hint)
    return value


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise typer.BadParameter(f"unknown time zone {name!r}", param_hint="--timezone") from exc
    return name


def _announcer(settings: Settings) -> Callable[[str], list[str]]:
    def announce(base_url: str) -> list[str]:
        lines = [
            f"Vtiger emulator ({settings.flavour}) listening on {base_url}",
            f"webservice URL: {base_url}/webservice.php",
        ]
        if settings.flavour == "restapi":
            lines.append(f"restapi URL: {base_url}{PREFIX}")
        for spec in settings.all_users():
            role = "admin" if spec.is_admin else "user"
            lines.append(f"user {spec.name} access key {spec.access_key} role {role}")
        return lines

    return announce
