"""``ccsync worker`` on the job queue: one process running sync jobs until SIGTERM/SIGINT.

The process runs two procrastinate workers on one event loop: ``runs`` with ``concurrency``
slots (each sync job runs in a thread of its own) and ``ticks`` with one slot, so the periodic
tick and the stalled-job recovery never wait behind long runs. It registers itself in the
``workers`` table and beats every ``worker_heartbeat_s``; SIGTERM stops fetching jobs and waits
for the runs going to finish, a SIGKILL loses nothing (the tick of another worker retries the
job). Example::

    run_worker(get_settings(), name="worker-a", concurrency=4)
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from ccsync.connectors.registry import release_all
from ccsync.jobs.queue import QUEUE_RUNS, QUEUE_TICKS, Store, Tasks, ensure_schema, make_app
from ccsync.store.workers import beat, register_worker, stop_worker

if TYPE_CHECKING:
    from ccsync.settings import AppSettings

log = logging.getLogger(__name__)


def default_name() -> str:
    """``<host>:<pid>``: unique among the live workers."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Heartbeat:
    """Beats in a thread until stopped (the store's ``workers`` row of this process)."""

    def __init__(self, beat_once: Callable[[], None], interval: float) -> None:
        self._beat = beat_once
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="worker-heartbeat", daemon=True)

    def start(self) -> None:
        """Begin beating."""
        self._thread.start()

    def stop(self) -> None:
        """Stop beating (and wait for the thread)."""
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._beat()
            except Exception:  # a database hiccup: the next beat retries, the timeout allows it
                log.warning("worker heartbeat failed")


def run_worker(
    settings: AppSettings,
    *,
    name: str | None = None,
    concurrency: int | None = None,
    ready: Callable[[int], None] | None = None,
) -> None:
    """Run jobs until SIGTERM or SIGINT.

    Args:
        settings: the installation's settings (``jobs=procrastinate``).
        name: the worker's name in logs and metrics (default ``<host>:<pid>``).
        concurrency: runs at once (default ``settings.worker_concurrency``).
        ready: called with the worker's id once it takes jobs.
    """
    slots = concurrency or settings.worker_concurrency
    dsn = settings.postgres_dsn
    if dsn is None:
        raise RuntimeError("ccsync worker on the job queue needs a PostgreSQL database")
    ensure_schema(dsn)
    store = Store(settings)
    worker_id = register_worker(store.sessions, name or default_name(), slots)
    heartbeat = Heartbeat(lambda: beat(store.sessions, worker_id), settings.worker_heartbeat_s)
    heartbeat.start()
    try:
        asyncio.run(_serve(settings, store, worker_id, slots, name, ready))
    finally:
        heartbeat.stop()
        stop_worker(store.sessions, worker_id)
        store.close()
        release_all()  # the shared limiters' connection pools


async def _serve(
    settings: AppSettings,
    store: Store,
    worker_id: int,
    slots: int,
    name: str | None,
    ready: Callable[[int], None] | None,
) -> None:
    loop = asyncio.get_running_loop()
    # Sync jobs run in the loop's default executor: one thread per slot, plus the tick's.
    loop.set_default_executor(ThreadPoolExecutor(slots + 2, thread_name_prefix="job"))
    tasks = Tasks(settings, store)
    tasks.worker_id = worker_id
    app = make_app(settings, tasks, pool_max=slots + 4)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def worker(queue: str, concurrency: int) -> asyncio.Task[None]:
        return asyncio.create_task(
            app.run_worker_async(
                queues=[queue],
                concurrency=concurrency,
                name=name or default_name(),
                install_signal_handlers=False,
                update_heartbeat_interval=settings.worker_heartbeat_s,
                stalled_worker_timeout=settings.worker_stalled_s,
            )
        )

    async with app.open_async():
        workers = [worker(QUEUE_RUNS, slots), worker(QUEUE_TICKS, 1)]
        if ready is not None:
            ready(worker_id)
        waiter = asyncio.create_task(stop.wait())
        await asyncio.wait([waiter, *workers], return_when=asyncio.FIRST_COMPLETED)
        for task in workers:
            task.cancel()  # procrastinate stops fetching and waits for the running jobs
        await asyncio.gather(*workers, return_exceptions=True)
        waiter.cancel()
