"""``ccsync serve``, ``ccsync worker``, ``ccsync user add`` and ``ccsync demo``."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import typer

from ccsync.cli.common import console, fail, load_settings, store
from ccsync.cli.demo import run_demo
from ccsync.cli.serving import run_app
from ccsync.errors import AlreadyExists
from ccsync.settings import AppSettings
from ccsync.store.crypto import configure_encryption
from ccsync.store.db import init_db, session_factory
from ccsync.store.repos.audit import record_event
from ccsync.store.repos.users import create_user, get_user_by_name
from ccsync.store.repos.websessions import end_user_sessions

PASSWORD_ENV = "CCSYNC_USER_PASSWORD"

user_app = typer.Typer(help="Local accounts of the web app.", no_args_is_help=True)


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8765, help="Port to listen on."),
    background: bool = typer.Option(
        True, help="Run background syncs in this process too (off when `ccsync worker` runs)."
    ),
) -> None:
    """Run the web app (and, by default, the background scheduler)."""
    # Imported here: the other commands start without loading FastAPI and the web layer.
    from ccsync.web.app import create_app
    from ccsync.web.auth import ensure_first_admin

    settings = load_settings()
    app = create_app(settings, background=background)
    first = ensure_first_admin(app.state.ctx.sessions)
    if first is not None:
        console.print(
            f"First start: created the admin [bold]{first[0]}[/bold] with the password "
            f"[bold]{first[1]}[/bold] (shown once; you must change it at the first sign-in).",
            highlight=False,
        )
    run_app(app, host, port, f"ccsync listening on http://{host}:{{port}}")


def worker(
    concurrency: int = typer.Option(
        0, help="Runs at once (job queue only; default: CCSYNC_WORKER_CONCURRENCY)."
    ),
    name: str = typer.Option("", help="The worker's name in logs and metrics (job queue only)."),
) -> None:
    """Run background syncs (no web app) until interrupted.

    With CCSYNC_JOBS=procrastinate this process takes sync jobs from the queue in PostgreSQL
    (start as many as you like, on any machines); otherwise it runs the embedded scheduler.
    """
    settings = load_settings()
    if settings.jobs == "procrastinate":
        # Imported here: the embedded install starts without procrastinate.
        from ccsync.jobs.worker import run_worker

        init_db(settings.database_url).dispose()  # migrate before taking jobs
        run_worker(
            settings,
            name=name or None,
            concurrency=concurrency or None,
            ready=lambda wid: console.print(f"ccsync worker {wid}: taking jobs", highlight=False),
        )
        return
    _scheduler_worker(settings)


def _scheduler_worker(settings: AppSettings) -> None:
    # Imported here, like the web app in `serve`: other commands start without APScheduler.
    from ccsync.jobs.local import LocalBackend, load_schedules, purge_debug_log

    configure_encryption(settings.fernet_keys)
    sessions = session_factory(init_db(settings.database_url))
    backend = LocalBackend(
        settings,
        schedules=lambda: load_schedules(sessions),
        housekeeping=lambda: purge_debug_log(sessions, settings.debug_retention_days),
    )
    backend.start()
    console.print(f"ccsync worker: {len(backend.scheduled_ids())} background job(s) scheduled")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        backend.shutdown(wait=True)


def _read_password(password_file: Path | None) -> str:
    if password_file is not None:
        return password_file.read_text(encoding="utf-8").strip()
    from_env = os.environ.get(PASSWORD_ENV, "")
    if from_env:
        return from_env
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="Login name."),
    admin: bool = typer.Option(False, "--admin/--user", help="Role of the account."),
    password_file: Path | None = typer.Option(
        None, help=f"Read the password from this file (else ${PASSWORD_ENV}, else a prompt)."
    ),
    time_zone: str = typer.Option("UTC", help="IANA time zone the UI shows times in."),
) -> None:
    """Create a local account (the password is never taken from the command line)."""
    password = _read_password(password_file)
    if len(password) < 10:
        raise fail("the password needs at least 10 characters")
    with store() as sessions:
        try:
            with sessions.begin() as session:
                role = "admin" if admin else "user"
                create_user(session, name, password, role=role, time_zone=time_zone)
                record_event(session, "user_added", actor="cli", target=f"user {name}", detail=role)
        except (AlreadyExists, ValueError) as exc:
            raise fail(str(exc)) from None
    console.print(f"Created {'admin' if admin else 'user'} {name!r}.", highlight=False)


@user_app.command("end-sessions")
def user_end_sessions(name: str = typer.Argument(..., help="Login name.")) -> None:
    """Sign a user out of the web app everywhere (every open session ends now)."""
    with store() as sessions, sessions.begin() as session:
        user = get_user_by_name(session, name)
        if user is None:
            raise fail(f"no user named {name!r}")
        ended = end_user_sessions(session, user.id)
        record_event(
            session, "sessions_ended", actor="cli", target=f"user {name}", detail=f"{ended} ended"
        )
    console.print(f"Signed {name!r} out: {ended} session(s) ended.", highlight=False)


def demo(
    host: str = typer.Option("127.0.0.1", help="Interface of the web app."),
    port: int = typer.Option(8765, help="Port of the web app."),
    data_dir: Path | None = typer.Option(None, help="Keep the demo's data here (default: temp)."),
    contacts: int = typer.Option(200, help="Seeded contacts on each side."),
) -> None:
    """Run the offline demo: both emulators, the web app, a demo admin and a connector."""
    run_demo(host=host, port=port, data_dir=data_dir, contacts=contacts)


def register(app: typer.Typer) -> None:
    """Add these commands to the ``ccsync`` app."""
    app.command("serve")(serve)
    app.command("worker")(worker)
    app.command("demo")(demo)
    app.add_typer(user_app, name="user")
