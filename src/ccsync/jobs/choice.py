"""Which backend serves the web app and the CLI: picked from the settings (``CCSYNC_JOBS``).

``local`` (the embedded default) is APScheduler in the serving process; ``procrastinate`` defers
every run to the job queue in PostgreSQL. The queue module is imported only when chosen, so the
embedded install starts without procrastinate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ccsync.jobs.backend import ForegroundBackend, JobBackend, ServingBackend
from ccsync.jobs.local import LocalBackend, load_schedules

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from ccsync.settings import AppSettings


def uses_queue(settings: AppSettings) -> bool:
    """Whether runs go to the procrastinate job queue."""
    return settings.jobs == "procrastinate"


def serving_backend(
    settings: AppSettings,
    sessions: sessionmaker[Session],
    housekeeping: Callable[[], object] | None = None,
) -> ServingBackend:
    """The web app's backend: the job queue, or APScheduler in this process."""
    if uses_queue(settings):
        from ccsync.jobs.queue import ProcrastinateBackend  # only when chosen: see the docstring

        return ProcrastinateBackend(settings, housekeeping=housekeeping)
    return LocalBackend(
        settings, schedules=lambda: load_schedules(sessions), housekeeping=housekeeping
    )


def cli_backend(settings: AppSettings) -> JobBackend:
    """The CLI's backend: the job queue (``enqueue_sync`` defers), or the foreground."""
    if uses_queue(settings):
        from ccsync.jobs.queue import ProcrastinateBackend  # only when chosen: see the docstring

        return ProcrastinateBackend(settings)
    return ForegroundBackend(settings)


def close_backend(backend: JobBackend) -> None:
    """Release what a backend holds (the job queue's connections), if anything."""
    shutdown = getattr(backend, "shutdown", None)
    if callable(shutdown):
        shutdown()
