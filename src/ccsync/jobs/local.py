"""The embedded background backend: APScheduler 3 in the serving (or worker) process.

One interval job per enabled connector, rebuilt from the connectors table at every start, so the
schedule survives restarts without a persistent job store. Every run goes through
``execute_run``; inside this process a connector runs at most once at a time with at most one
more queued, and the store's run lease keeps other processes (CLI, a second worker) out.

Example::

    backend = LocalBackend(settings, schedules=load_schedules)
    backend.start()
    backend.enqueue_sync(connector_id, "manual")   # Sync Now
    backend.shutdown()
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import SQLAlchemyError

from ccsync.engine.config import FREQUENCIES, load_config
from ccsync.engine.runner import discard_first_run, execute_run, resolve_held
from ccsync.jobs.backend import EnqueueResult, RunState
from ccsync.store.db import session_factory
from ccsync.store.engines import make_engine
from ccsync.store.lease import lease_busy
from ccsync.store.repos.connectors import list_connectors
from ccsync.store.repos.debuglog import purge_debug

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from ccsync.engine.result import Progress, RunResult
    from ccsync.settings import AppSettings

log = logging.getLogger(__name__)

FREQUENCY_SECONDS: dict[str, int | None] = {k: (m * 60 or None) for k, m in FREQUENCIES.items()}
"""Background Sync Frequency choices (Sync Settings) and their interval in seconds (None = off)."""


@dataclass(frozen=True, slots=True)
class Schedule:
    """What the scheduler needs to know about one connector."""

    connector_id: int
    frequency: str
    enabled: bool = True

    @property
    def interval(self) -> int | None:
        """Seconds between background runs, or None when this connector has none."""
        if not self.enabled:
            return None
        return FREQUENCY_SECONDS.get(self.frequency)


ScheduleSource = Callable[[], list[Schedule]]

# Connector states in which a background run cannot do anything useful.
# A refused Vtiger key waits for the settings to be fixed rather than failing every interval.
_NOT_RUNNABLE = ("not_configured", "needs_sign_in", "reconnect_needed", "crm_auth")


def load_schedules(sessions: sessionmaker[Session]) -> list[Schedule]:
    """One ``Schedule`` per connector, read from the connectors table.

    A connector runs in the background when Contacts Sync is enabled, its frequency is not
    ``off`` and it is signed in (paused and quota connectors keep their job: the run itself
    waits out the pause).
    """
    with sessions() as session:
        rows = list_connectors(session)
    out = []
    for row in rows:
        config = load_config(row)
        enabled = config.sync.contacts_enabled and row.status not in _NOT_RUNNABLE
        out.append(Schedule(row.id, config.sync.frequency, enabled))
    return out


RunFunction = Callable[..., "RunResult"]


def purge_debug_log(sessions: sessionmaker[Session], retention_days: int) -> int:
    """Delete Debug Log entries older than the retention (Debug Log; run daily by the scheduler)."""
    with sessions.begin() as session:
        return purge_debug(session, datetime.now(UTC) - timedelta(days=retention_days))


BUSY_MESSAGE = "Busy: another sync of this connector is running elsewhere; try again when it ends."


class LeaseCheck:
    """Whether another process holds a connector's run lease (a live holder), from the store.

    The database engine is made on first use and kept until ``close``. A store that cannot be
    read is taken as "not busy": the run itself then takes (or is refused) the lease.
    """

    def __init__(self, settings: AppSettings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._engine: Engine | None = None

    def __call__(self, connector_id: int) -> bool:
        with self._lock:
            if self._engine is None:
                self._engine = make_engine(self._settings.database_url)
            engine = self._engine
        try:
            return lease_busy(session_factory(engine), connector_id)
        except SQLAlchemyError:
            log.warning("could not read the run lease of connector %s", connector_id)
            return False

    def close(self) -> None:
        """Release the database engine."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None


class LocalBackend:
    """``JobBackend`` on an in-process APScheduler ``BackgroundScheduler``."""

    def __init__(
        self,
        settings: AppSettings,
        *,
        schedules: ScheduleSource,
        run: RunFunction | None = None,
        workers: int = 4,
        housekeeping: Callable[[], object] | None = None,
        busy_elsewhere: Callable[[int], bool] | None = None,
    ) -> None:
        self._settings = settings
        self._schedules = schedules
        self._run = run or execute_run
        self._busy_elsewhere = busy_elsewhere or LeaseCheck(settings)
        self._housekeeping = housekeeping
        self._background_on = True
        self._lock = threading.Lock()
        self._states: dict[int, RunState] = {}
        self._scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(workers)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
            timezone=UTC,
        )

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, background: bool = True) -> None:
        """Load one job per enabled connector from the store and start the scheduler.

        With ``background=False`` only Sync Now, Confirm and housekeeping run here (another
        process, ``ccsync worker``, runs the background syncs).
        """
        self._background_on = background
        for schedule in self._schedules() if background else []:
            self._apply(schedule)
        if self._housekeeping is not None:
            self._scheduler.add_job(
                self._housekeeping,
                IntervalTrigger(hours=24, timezone=UTC),
                id="housekeeping",
                next_run_time=datetime.now(UTC),
                replace_existing=True,
            )
        self._scheduler.start()

    def shutdown(self, wait: bool = True) -> None:
        """Stop the scheduler (waiting for running syncs when ``wait``)."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=wait)
        if isinstance(self._busy_elsewhere, LeaseCheck):
            self._busy_elsewhere.close()

    def reschedule(self, schedule: Schedule) -> None:
        """Apply a changed frequency or enabled flag (after Sync Settings are saved)."""
        if self._background_on:
            self._apply(schedule)

    def reload(self) -> None:
        """Rebuild every background job from the store."""
        wanted = {s.connector_id: s for s in self._schedules()} if self._background_on else {}
        for job in self._scheduler.get_jobs():
            if job.id.startswith("bg-") and int(job.id[3:]) not in wanted:
                job.remove()
        for schedule in wanted.values():
            self._apply(schedule)

    def scheduled_ids(self) -> dict[int, int]:
        """Connector id → interval in seconds of every background job."""
        out: dict[int, int] = {}
        for job in self._scheduler.get_jobs():
            if job.id.startswith("bg-") and isinstance(job.trigger, IntervalTrigger):
                out[int(job.id[3:])] = int(job.trigger.interval.total_seconds())
        return out

    def next_runs(self) -> dict[int, datetime]:
        """Connector id → when its next background run is due (connectors with a job here)."""
        out: dict[int, datetime] = {}
        for job in self._scheduler.get_jobs():
            due = getattr(job, "next_run_time", None)
            if job.id.startswith("bg-") and isinstance(due, datetime):
                out[int(job.id[3:])] = due
        return out

    def _apply(self, schedule: Schedule) -> None:
        """Add, change or remove one connector's job; a job whose interval is unchanged keeps
        its next run time (a save of another connector's settings, or a sign-in, reloads all)."""
        job_id = f"bg-{schedule.connector_id}"
        interval = schedule.interval
        job = self._scheduler.get_job(job_id)
        if interval is None:
            if job is not None:
                self._scheduler.remove_job(job_id)
            return
        if (
            job is not None
            and isinstance(job.trigger, IntervalTrigger)
            and job.trigger.interval == timedelta(seconds=interval)
        ):
            return
        self._scheduler.add_job(
            self._background,
            IntervalTrigger(seconds=interval, timezone=UTC),
            args=(schedule.connector_id,),
            id=job_id,
            replace_existing=True,
            next_run_time=datetime.now(UTC) + timedelta(seconds=interval),
        )

    # -- JobBackend ------------------------------------------------------------------------

    def enqueue_sync(
        self, connector_id: int, trigger: str, *, confirm: bool = False
    ) -> EnqueueResult:
        """Start a run in the background, or queue at most one more while one is going.

        ``confirm`` approves a first run that stopped at its Preview (only for a run that
        starts now; a queued run is an ordinary one).
        """
        with self._lock:
            state = self._states.setdefault(connector_id, RunState())
            if state.running:
                if state.pending:
                    return EnqueueResult(
                        "already_queued", "A sync is running and one more is already queued."
                    )
                state.pending = True
                return EnqueueResult(
                    "queued", "A sync is running; one more will start when it ends."
                )
            if self._busy_elsewhere(connector_id):
                # another process (the CLI, a worker) holds the run lease: nothing starts here
                return EnqueueResult("busy", BUSY_MESSAGE)
            self._begin(state, trigger)
        self._scheduler.add_job(self._drain, args=(connector_id, trigger, confirm))
        return EnqueueResult("started", "Sync started.")

    def run_now(
        self,
        connector_id: int,
        trigger: str,
        *,
        confirm: bool = False,
        progress: Progress | None = None,
    ) -> RunResult:
        """Run at once in the caller's thread (Confirm of a Preview, held actions)."""
        with self._lock:
            state = self._states.setdefault(connector_id, RunState())
            self._begin(state, trigger)
        try:
            return self._one_run(connector_id, trigger, confirm=confirm, extra=progress)
        finally:
            self._finish(connector_id)

    def resolve_held(self, connector_id: int, *, confirm: bool) -> RunResult:
        """Confirm (re-check and apply) or Discard the circuit breaker's held actions."""
        return resolve_held(self._settings, connector_id, confirm=confirm)

    def preview(self, connector_id: int) -> RunResult:
        """Preview (sync rule P4): plan a run without writing anything (in the caller's thread)."""
        return self._run(self._settings, connector_id, "preview", preview=True)

    def discard_first_run(self, connector_id: int) -> bool:
        """Discard a first run waiting at its Preview (``False``: none was waiting)."""
        return discard_first_run(self._settings, connector_id)

    def forget_failure(self, connector_id: int) -> None:
        """Drop the last run's failure from the live state (its cause was fixed: a sign-in,
        new Vtiger credentials); the Sync Log keeps the run itself."""
        with self._lock:
            state = self._states.get(connector_id)
            if state is not None and state.last_status not in (None, "succeeded", "preview"):
                state.last_status = state.last_run_id = state.last_error = None

    def state(self, connector_id: int) -> RunState:
        """A copy of the live state of a connector's runs in this process."""
        with self._lock:
            current = self._states.get(connector_id, RunState())
            return RunState(
                running=current.running,
                pending=current.pending,
                trigger=current.trigger,
                stage=current.stage,
                done=current.done,
                total=current.total,
                started_at=current.started_at,
                last_status=current.last_status,
                last_run_id=current.last_run_id,
                last_error=current.last_error,
            )

    # -- running ---------------------------------------------------------------------------

    def _background(self, connector_id: int) -> None:
        with self._lock:
            state = self._states.setdefault(connector_id, RunState())
            if state.running:
                # A manual run is going: the background tick is simply skipped (coalesced).
                return
            self._begin(state, "schedule")
        self._drain(connector_id, "schedule")

    def _drain(self, connector_id: int, trigger: str, confirm: bool = False) -> None:
        """Run, then run once more for each queued click, then mark the connector idle."""
        try:
            while True:
                try:
                    self._one_run(connector_id, trigger, confirm=confirm)
                except Exception as exc:
                    # Recorded in the run state; a queued click still gets its run.
                    log.debug("run of connector %s ended with %s", connector_id, type(exc))
                with self._lock:
                    state = self._states[connector_id]
                    if not state.pending:
                        return
                    state.pending = False
                    trigger, confirm = "queued", False
                    self._begin(state, trigger)
        finally:
            self._finish(connector_id)

    def _one_run(
        self,
        connector_id: int,
        trigger: str,
        *,
        confirm: bool = False,
        extra: Progress | None = None,
    ) -> RunResult:
        def progress(stage: str, done: int, total: int) -> None:
            with self._lock:
                state = self._states[connector_id]
                state.stage, state.done, state.total = stage, done, total
            if extra is not None:
                extra(stage, done, total)

        try:
            result = self._run(
                self._settings, connector_id, trigger, confirm=confirm, progress=progress
            )
        except Exception as exc:
            # A run must never take the scheduler thread down; the run itself records details.
            log.exception("sync of connector %s failed", connector_id)
            self._record(connector_id, "failed", None, type(exc).__name__)
            raise
        self._record(connector_id, result.status, result.run_id, result.error)
        return result

    def _begin(self, state: RunState, trigger: str) -> None:
        state.running = True
        state.trigger = trigger
        state.stage, state.done, state.total = "starting", 0, 0
        state.started_at = datetime.now(UTC)

    def _record(
        self, connector_id: int, status: str, run_id: int | None, error: str | None
    ) -> None:
        with self._lock:
            state = self._states[connector_id]
            state.last_status, state.last_run_id, state.last_error = status, run_id, error

    def _finish(self, connector_id: int) -> None:
        with self._lock:
            state = self._states[connector_id]
            state.running = False
            state.pending = False
            state.stage = ""
