"""The distributed backend: sync runs as procrastinate jobs in PostgreSQL.

Chosen with ``CCSYNC_JOBS=procrastinate`` (the database must be PostgreSQL).

Any number of ``ccsync worker`` processes, on any number of machines, run the jobs; the web app
and the CLI only defer them. What procrastinate guarantees, and how we use it:

* a run of connector 42 is a job with ``lock="connector:42"``: two jobs with one lock never run
  at once, whichever workers fetch them (a unique index on the running jobs' locks);
* with ``queueing_lock="connector:42"``: at most one run waits behind the one going, so a burst
  of Sync Now collapses into one waiting job (``AlreadyEnqueued`` → "already queued"). A Confirm
  of a first run has its own queueing lock (``…:confirm``) so a waiting plain run cannot swallow
  it; the ``lock`` still keeps the two apart;
* the periodic tick (``@app.periodic``) is deferred once per period across all workers; it
  defers every connector whose Background Sync Frequency has passed since its last run
  (measured from the runs table, so a Sync Now also resets the clock), and retries the jobs of
  workers that stopped beating (procrastinate's stalled-job recipe: ``get_stalled_jobs`` then
  ``retry_job``). A stalled job whose connector already has a run waiting is closed instead:
  the waiting run does the same work, and the queueing lock allows only one;
* priorities give fair share of the worker slots: incremental runs (short, ≤ a few calls a side)
  go before first syncs, and Sync Now before background runs.

The store's run lease still guards every run (the CLI runs in the foreground beside the queue).
A retried job whose lease is held by a worker that stopped beating takes it over at once
(``store.workers.dead_worker_lease``); a live holder is waited for, up to the lease's TTL.

Example::

    backend = ProcrastinateBackend(settings)
    backend.enqueue_sync(connector_id, "manual")     # Sync Now: a job for the workers
    backend.shutdown()
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import psycopg
from procrastinate import App, JobContext, PsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued, ConnectorException
from procrastinate.jobs import Status
from sqlalchemy import text

from ccsync.engine.config import FREQUENCIES, load_config
from ccsync.engine.result import Progress, RunResult
from ccsync.engine.runner import discard_first_run, execute_run, resolve_held
from ccsync.errors import ConfigError
from ccsync.jobs.backend import EnqueueResult, RunState
from ccsync.store.budget import first_sync
from ccsync.store.crypto import configure_encryption
from ccsync.store.db import session_factory
from ccsync.store.engines import make_engine
from ccsync.store.repos.connectors import list_connectors
from ccsync.store.repos.debuglog import purge_debug
from ccsync.store.repos.rows import ConnectorRow
from ccsync.store.repos.runs import last_run_starts
from ccsync.store.workers import count_run, dead_worker_lease

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from ccsync.settings import AppSettings

log = logging.getLogger(__name__)

TASK_SYNC = "ccsync.sync"
TASK_TICK = "ccsync.tick"
TASK_HOUSEKEEPING = "ccsync.housekeeping"
QUEUE_RUNS = "runs"
QUEUE_TICKS = "ticks"
LEASE_WAIT_S = 150.0  # the run lease's TTL (120 s) and a margin: a live holder is waited for
LEASE_POLL_S = 1.0
JOB_RETENTION_HOURS = 72
_NOT_RUNNABLE = ("not_configured", "needs_sign_in", "reconnect_needed", "crm_auth")
_SCHEMA_LOCK = 71_317_013  # pg_advisory_xact_lock key: one process applies the queue schema


def connector_lock(connector_id: int) -> str:
    """The procrastinate lock (and queueing lock) of one connector's runs."""
    return f"connector:{connector_id}"


def run_priority(first: bool, trigger: str) -> int:
    """Higher runs first: quiet incremental runs before first syncs, people before schedules."""
    return (0 if first else 10) + (0 if trigger == "schedule" else 5)


def tick_cron(seconds: int) -> str:
    """The cron line of a tick every ``seconds`` (60: every minute; less: a seconds column)."""
    return "* * * * *" if seconds >= 60 else f"* * * * * */{seconds}"


def ensure_schema(dsn: str) -> bool:
    """Create procrastinate's tables in the database unless they are there (one process does
    it under an advisory lock, so workers starting together do not race).

    Returns:
        Whether the schema was created now.
    """
    with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
        found = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
        if found is not None and found[0] is not None:
            return False
        schema = App(connector=PsycopgConnector()).schema_manager.get_schema()
        conn.execute(schema)
    return True


class Store:
    """The store's engine and sessions of this process, made on first use."""

    def __init__(self, settings: AppSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        """The engine (created on first use)."""
        with self._lock:
            if self._engine is None:
                configure_encryption(self.settings.fernet_keys)
                self._engine = make_engine(self.settings.database_url)
            return self._engine

    @property
    def sessions(self) -> sessionmaker[Session]:
        """A session factory on the engine."""
        return session_factory(self.engine)

    def close(self) -> None:
        """Dispose of the engine."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None


def interval_minutes(row: ConnectorRow) -> int:
    """Minutes between the connector's background runs (its Background Sync Frequency), or 0
    when it has none: Contacts Sync disabled, frequency ``off``, not signed in, or settings that
    do not load (its Sync Now says why)."""
    if row.status in _NOT_RUNNABLE:
        return 0
    try:
        sync = load_config(row).sync
    except ConfigError:
        return 0
    return FREQUENCIES.get(sync.frequency, 0) if sync.contacts_enabled else 0


def due_connectors(sessions: sessionmaker[Session], now: datetime) -> list[int]:
    """Connectors whose Background Sync Frequency has passed since their last run started.

    Like the embedded scheduler: Contacts Sync enabled, a frequency other than ``off``, signed
    in; a connector paused by a quota waits for its pause to end.
    """
    with sessions() as session:
        rows = list_connectors(session)
        last = last_run_starts(session)
    due = []
    for row in rows:
        minutes = interval_minutes(row)
        if not minutes:
            continue
        if row.paused_until is not None and row.paused_until > now:
            continue
        started = last.get(row.id)
        if started is None or now - started >= timedelta(minutes=minutes):
            due.append(row.id)
    return due


def next_due(sessions: sessionmaker[Session], now: datetime) -> dict[int, datetime]:
    """Connector id → when the tick will next defer its background run."""
    with sessions() as session:
        rows = list_connectors(session)
        last = last_run_starts(session)
    out = {}
    for row in rows:
        minutes = interval_minutes(row)
        if minutes:
            started = last.get(row.id)
            out[row.id] = max(now, started + timedelta(minutes=minutes)) if started else now
    return out


class Tasks:
    """The job functions, bound to one process's settings and store.

    Args:
        settings: the installation's settings.
        store: the store of this process.
        worker_id: this worker's row in ``workers`` (None outside ``ccsync worker``).
    """

    def __init__(self, settings: AppSettings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.worker_id: int | None = None
        self.app: App | None = None

    def sync(
        self, context: JobContext, connector_id: int, trigger: str, confirm: bool = False
    ) -> dict[str, Any]:
        """One run of a connector; a busy lease is waited for (taken over from a dead worker)."""
        sessions = self.store.sessions
        deadline = time.monotonic() + LEASE_WAIT_S
        while True:
            dead = dead_worker_lease(sessions, connector_id, self.settings.worker_stalled_s)
            if dead is not None:
                log.warning("took over connector %s from dead worker %s", connector_id, dead)
            result = execute_run(self.settings, connector_id, trigger, confirm=confirm)
            if result.status != "busy" or time.monotonic() > deadline:
                break
            time.sleep(LEASE_POLL_S)  # another live holder: poll its lease, not the job queue
        if self.worker_id is not None:
            count_run(sessions, self.worker_id, failed=result.status == "failed")
        job_id = context.job.id if context.job else None
        return {"job": job_id, "run_id": result.run_id, "status": result.status}

    async def tick(self, timestamp: int) -> dict[str, int]:
        """Retry the jobs of dead workers, then defer every connector that is due."""
        retried = await self._recover_stalled()
        now = datetime.fromtimestamp(timestamp, UTC)
        due = await asyncio.to_thread(due_connectors, self.store.sessions, now)
        deferred = 0
        for connector_id in due:
            first = await asyncio.to_thread(first_sync, self.store.sessions, connector_id)
            try:
                await sync_job(self._app(), connector_id, "schedule", first).defer_async(
                    connector_id=connector_id, trigger="schedule", confirm=False
                )
                deferred += 1
            except AlreadyEnqueued:
                pass  # a run is waiting already: the schedule is served by it
        return {"retried": retried, "due": len(due), "deferred": deferred}

    async def housekeeping(self, timestamp: int) -> None:
        """Daily: old Debug Log entries and finished jobs older than ``JOB_RETENTION_HOURS``."""
        cutoff = datetime.fromtimestamp(timestamp, UTC) - timedelta(
            days=self.settings.debug_retention_days
        )

        def purge() -> None:
            with self.store.sessions.begin() as session:
                purge_debug(session, cutoff)

        await asyncio.to_thread(purge)
        await self._app().job_manager.delete_old_jobs(
            nb_hours=JOB_RETENTION_HOURS, include_failed=True, include_aborted=True
        )

    async def _recover_stalled(self) -> int:
        manager = self._app().job_manager
        stalled = await manager.get_stalled_jobs(
            seconds_since_heartbeat=self.settings.worker_stalled_s
        )
        retried = 0
        for job in stalled:
            try:
                await manager.retry_job(job)
                retried += 1
                log.warning("retrying job %s of a worker that stopped beating", job.id)
            except ConnectorException:
                # Its connector has a run waiting (the queueing lock allows one): that run
                # does the same work, so this one is closed rather than queued twice.
                await manager.finish_job(job, Status.FAILED, delete_job=False)
        return retried

    def _app(self) -> App:
        if self.app is None:
            raise RuntimeError("the tasks are not bound to an app")
        return self.app


def make_app(settings: AppSettings, tasks: Tasks, *, pool_max: int = 4) -> App:
    """The procrastinate app on the store's database, with ccsync's tasks registered."""
    dsn = settings.postgres_dsn
    if dsn is None:
        raise RuntimeError("the job queue needs a PostgreSQL database")
    app = App(connector=PsycopgConnector(conninfo=dsn, min_size=1, max_size=pool_max))
    app.task(name=TASK_SYNC, queue=QUEUE_RUNS, pass_context=True)(tasks.sync)
    tick = app.task(name=TASK_TICK, queue=QUEUE_TICKS, queueing_lock=TASK_TICK)(tasks.tick)
    app.periodic(cron=tick_cron(settings.tick_seconds))(tick)
    chores = app.task(name=TASK_HOUSEKEEPING, queue=QUEUE_TICKS)(tasks.housekeeping)
    app.periodic(cron="17 3 * * *")(chores)
    tasks.app = app
    return app


def sync_job(app: App, connector_id: int, trigger: str, first: bool, confirm: bool = False) -> Any:
    """The configured deferrer of one run (lock, queueing lock and priority set)."""
    lock = connector_lock(connector_id)
    return app.tasks[TASK_SYNC].configure(
        lock=lock,
        queueing_lock=f"{lock}:confirm" if confirm else lock,
        priority=run_priority(first, trigger),
    )


class ProcrastinateBackend:
    """``JobBackend`` (and ``ServingBackend``) that defers runs to the job queue.

    Preview, Confirm/Discard of held actions and Discard of a first run run in the caller's
    thread, as the web app needs their answer at once; the store's run lease keeps them and
    the workers' runs apart.

    Args:
        settings: the installation's settings (``jobs=procrastinate``, PostgreSQL).
        housekeeping: the serving process's own daily chores (web sessions), run daily.
        run: the run entry point for the foreground operations (tests pass a stand-in).
    """

    def __init__(
        self,
        settings: AppSettings,
        *,
        housekeeping: Any | None = None,
        run: Any | None = None,
    ) -> None:
        self._settings = settings
        self._store = Store(settings)
        self._tasks = Tasks(settings, self._store)
        self._app = make_app(settings, self._tasks)
        self._run = run or execute_run
        self._housekeeping = housekeeping
        self._lock = threading.Lock()
        self._open = False
        self._stop = threading.Event()
        self._chores: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, background: bool = True) -> None:
        """Open the queue (creating its tables on first use); the workers schedule runs."""
        self._ensure_open()
        if self._housekeeping is not None and self._chores is None:
            self._chores = threading.Thread(target=self._daily, name="housekeeping", daemon=True)
            self._chores.start()

    def shutdown(self, wait: bool = True) -> None:
        """Close the queue connection (runs go on in the workers)."""
        self._stop.set()
        with self._lock:
            if self._open:
                self._app.close()
                self._open = False
        self._store.close()

    def reload(self) -> None:
        """Nothing to do: the tick reads the schedules from the store every time."""

    def forget_failure(self, connector_id: int) -> None:
        """Nothing to forget: the live state comes from the queue and the runs table."""

    def _ensure_open(self) -> App:
        with self._lock:
            if not self._open:
                dsn = self._settings.postgres_dsn
                assert dsn is not None  # settings refuse the queue without PostgreSQL
                ensure_schema(dsn)
                self._app.open()
                self._open = True
        return self._app

    def _daily(self) -> None:
        while not self._stop.is_set():
            try:
                assert self._housekeeping is not None
                self._housekeeping()
            except Exception:
                log.exception("housekeeping failed")
            self._stop.wait(24 * 3600)

    # -- JobBackend ------------------------------------------------------------------------

    def enqueue_sync(
        self, connector_id: int, trigger: str, *, confirm: bool = False
    ) -> EnqueueResult:
        """Defer a run; a burst collapses into the one run already waiting."""
        app = self._ensure_open()
        first = first_sync(self._store.sessions, connector_id)
        # Read before deferring: a free worker may take the new job at once, and that run is
        # the one this call started, not one it waits behind.
        running = self.state(connector_id).running
        try:
            sync_job(app, connector_id, trigger, first, confirm).defer(
                connector_id=connector_id, trigger=trigger, confirm=confirm
            )
        except AlreadyEnqueued:
            return EnqueueResult(
                "already_queued", "A sync is already queued for this connector; nothing added."
            )
        if running:
            return EnqueueResult("queued", "A sync is running; one more will start when it ends.")
        return EnqueueResult("started", "Sync queued: a worker starts it in a moment.")

    def run_now(
        self,
        connector_id: int,
        trigger: str,
        *,
        confirm: bool = False,
        progress: Progress | None = None,
    ) -> RunResult:
        """Run at once in the caller's thread (``ccsync sync --foreground``)."""
        return self._run(self._settings, connector_id, trigger, confirm=confirm, progress=progress)

    def preview(self, connector_id: int) -> RunResult:
        """Preview (sync rule P4): plan a run without writing anything (in the caller's thread)."""
        return self._run(self._settings, connector_id, "preview", preview=True)

    def resolve_held(self, connector_id: int, *, confirm: bool) -> RunResult:
        """Confirm (re-check and apply) or Discard the circuit breaker's held actions."""
        return resolve_held(self._settings, connector_id, confirm=confirm)

    def discard_first_run(self, connector_id: int) -> bool:
        """Discard a first run waiting at its Preview (``False``: none was waiting)."""
        return discard_first_run(self._settings, connector_id)

    # -- live state ------------------------------------------------------------------------

    def state(self, connector_id: int) -> RunState:
        """Whether a worker runs the connector now, and whether a run waits (from the queue)."""
        self._ensure_open()
        sql = text(
            "SELECT status, args FROM procrastinate_jobs "
            "WHERE lock = :lock AND status IN ('todo', 'doing') ORDER BY id"
        )
        with self._store.engine.connect() as conn:
            rows = conn.execute(sql, {"lock": connector_lock(connector_id)}).all()
        doing = [r for r in rows if r.status == "doing"]
        state = RunState(pending=any(r.status == "todo" for r in rows))
        if doing:
            state.running = True
            state.trigger = str((doing[0].args or {}).get("trigger", ""))
            state.stage = "running on a worker"
        return state

    def next_runs(self) -> dict[int, datetime]:
        """Connector id → when the tick will defer its next background run."""
        return next_due(self._store.sessions, datetime.now(UTC))

    def scheduled_ids(self) -> dict[int, int]:
        """Connector id → interval in seconds of every connector the tick schedules."""
        with self._store.sessions() as session:
            rows = list_connectors(session)
        out = {}
        for row in rows:
            minutes = interval_minutes(row)
            if minutes:
                out[row.id] = minutes * 60
        return out
