"""How work is started: the ``JobBackend`` protocol and the foreground backend.

Everything the web app, the scheduler and the CLI start goes through a backend: runs (Sync Now,
a background tick, Confirm of a first run), a Preview, Confirm or Discard of the circuit
breaker's held actions, and Discard of a first run waiting at its Preview. ``jobs/local.py``
runs them on APScheduler (web app, worker); the CLI runs them in the foreground through
``ForegroundBackend``. Every backend ends up in ``engine.runner`` (``execute_run`` — the one entry
point of a run — ``resolve_held``, ``discard_first_run``); only ``jobs/`` imports it (an
import-linter contract, docs/architecture.md).

Example::

    backend = ForegroundBackend(get_settings())
    result = backend.run_now(connector_id, "manual", confirm=True)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol

from ccsync.engine.result import Progress, RunResult
from ccsync.engine.runner import discard_first_run, execute_run, resolve_held

if TYPE_CHECKING:
    from ccsync.settings import AppSettings

__all__ = [
    "EnqueueResult",
    "ForegroundBackend",
    "JobBackend",
    "RunResult",
    "RunState",
    "ServingBackend",
    "execute_run",
]

EnqueueStatus = Literal["started", "queued", "already_queued", "busy"]
RunFunction = Callable[..., RunResult]
"""``execute_run`` or a stand-in with its signature."""


@dataclass(frozen=True, slots=True)
class EnqueueResult:
    """What a Sync Now click did.

    Attributes:
        status: ``started`` (a run began), ``queued`` (a run is going; one more will follow),
            ``already_queued`` (a run is going and one is already waiting: nothing added),
            ``busy`` (another process runs this connector: nothing started or queued).
        message: a sentence for the user.
        result: the finished run when the backend ran it in the foreground.
    """

    status: EnqueueStatus
    message: str
    result: RunResult | None = None


class JobBackend(Protocol):
    """Starts sync work; at most one run per connector at a time, at most one queued."""

    def enqueue_sync(
        self, connector_id: int, trigger: str, *, confirm: bool = False
    ) -> EnqueueResult:
        """Start a run soon, or queue one more if a run is going (``confirm`` approves a first
        run that stopped at its Preview)."""
        ...

    def run_now(
        self,
        connector_id: int,
        trigger: str,
        *,
        confirm: bool = False,
        progress: Progress | None = None,
    ) -> RunResult:
        """Run at once in the caller's thread and return the result."""
        ...

    def preview(self, connector_id: int) -> RunResult:
        """Plan a run without writing anything (sync rule P4) (in the caller's thread)."""
        ...

    def resolve_held(self, connector_id: int, *, confirm: bool) -> RunResult:
        """Confirm (re-check and apply) or Discard the circuit breaker's held actions."""
        ...

    def discard_first_run(self, connector_id: int) -> bool:
        """Discard a first run waiting at its Preview (``False``: none was waiting)."""
        ...


@dataclass(slots=True)
class RunState:
    """Live progress of one connector's runs as the Sync window shows it."""

    running: bool = False
    pending: bool = False
    trigger: str = ""
    stage: str = ""
    done: int = 0
    total: int = 0
    started_at: datetime | None = None
    last_status: str | None = None
    last_run_id: int | None = None
    last_error: str | None = None

    @property
    def percent(self) -> int:
        """Progress of the current stage in percent (0 when the total is unknown)."""
        return min(100, round(100 * self.done / self.total)) if self.total else 0


class ServingBackend(JobBackend, Protocol):
    """What the web app needs of its backend beyond starting work: its lifecycle, the live
    state of each connector's runs and when the next background run is due.

    ``jobs/local.py`` (APScheduler in the serving process) and ``jobs/queue.py`` (procrastinate
    jobs run by ``ccsync worker`` processes) implement it; ``jobs/choice.py`` picks one from
    the settings.
    """

    def start(self, background: bool = True) -> None:
        """Start serving (``background``: schedule the connectors' background runs here)."""
        ...

    def shutdown(self, wait: bool = True) -> None:
        """Stop (waiting for runs going in this process when ``wait``)."""
        ...

    def reload(self) -> None:
        """The connectors' schedules changed in the store."""
        ...

    def forget_failure(self, connector_id: int) -> None:
        """The cause of the last failure was fixed (a sign-in, new credentials)."""
        ...

    def state(self, connector_id: int) -> RunState:
        """The live state of the connector's runs."""
        ...

    def next_runs(self) -> dict[int, datetime]:
        """Connector id → when its next background run is due."""
        ...


class ForegroundBackend:
    """Runs syncs in the calling thread (the CLI, tests).

    A second ``enqueue_sync`` while a run of the same connector is going in this process is
    queued (once) and run right after; other processes are kept out by the store's run lease.

    Args:
        settings: the installation's settings.
        run: the run entry point (``execute_run``; tests pass a stand-in).
    """

    def __init__(self, settings: AppSettings, run: RunFunction | None = None) -> None:
        self._settings = settings
        self._run = run or execute_run
        self._lock = threading.Lock()
        self._running: set[int] = set()
        self._pending: set[int] = set()

    def enqueue_sync(
        self, connector_id: int, trigger: str, *, confirm: bool = False
    ) -> EnqueueResult:
        """Run now in the foreground, or queue at most one more run if one is going.

        ``confirm`` approves a first run that stopped at its Preview (only for the run that
        starts now; a queued run is an ordinary one).
        """
        with self._lock:
            if connector_id in self._running:
                if connector_id in self._pending:
                    return EnqueueResult("already_queued", "A run is going; one is already queued.")
                self._pending.add(connector_id)
                return EnqueueResult("queued", "A run is going; one more will start when it ends.")
            self._running.add(connector_id)
        try:
            result = self._run_until_no_pending(connector_id, trigger, confirm)
        finally:
            with self._lock:
                self._running.discard(connector_id)
        return EnqueueResult("started", "The run has finished.", result)

    def run_now(
        self,
        connector_id: int,
        trigger: str,
        *,
        confirm: bool = False,
        progress: Progress | None = None,
    ) -> RunResult:
        """Run one sync in the caller's thread."""
        return self._run(self._settings, connector_id, trigger, confirm=confirm, progress=progress)

    def preview(self, connector_id: int) -> RunResult:
        """Plan a run without writing anything (sync rule P4)."""
        return self._run(self._settings, connector_id, "preview", preview=True)

    def resolve_held(self, connector_id: int, *, confirm: bool) -> RunResult:
        """Confirm (re-check and apply) or Discard the circuit breaker's held actions."""
        return resolve_held(self._settings, connector_id, confirm=confirm)

    def discard_first_run(self, connector_id: int) -> bool:
        """Discard a first run waiting at its Preview (``False``: none was waiting)."""
        return discard_first_run(self._settings, connector_id)

    def _run_until_no_pending(self, connector_id: int, trigger: str, confirm: bool) -> RunResult:
        result = self.run_now(connector_id, trigger, confirm=confirm)
        while True:
            with self._lock:
                if connector_id not in self._pending:
                    return result
                self._pending.discard(connector_id)
            result = self.run_now(connector_id, "queued")
