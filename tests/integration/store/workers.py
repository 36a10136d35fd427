"""Code run in child processes by the concurrency tests (spawned, so it imports only ccsync)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier, Event
from pathlib import Path
from typing import Any

from ccsync.errors import RetriableError
from ccsync.store.crypto import configure_encryption
from ccsync.store.db import session_factory
from ccsync.store.engines import make_engine
from ccsync.store.lease import RunLease
from ccsync.store.tokens import DbTokenStore


def race_for_lease(url: str, connector_id: int, holder: str, barrier: Barrier) -> bool:
    """Wait for the other racers, then try to take the lease once."""
    engine = make_engine(url)
    try:
        lease = RunLease(session_factory(engine), connector_id, holder)
        with engine.connect():  # open the connection before the start signal
            pass
        barrier.wait(timeout=30)
        return lease.acquire()
    finally:
        engine.dispose()


def migrate_at_once(url: str, barrier: Barrier) -> str | None:
    """Wait for the other processes, then migrate ``url`` to head; returns the revision."""
    from ccsync.store.migrations import current_revision, upgrade_engine

    engine = make_engine(url)
    try:
        barrier.wait(timeout=30)
        upgrade_engine(engine)
        return current_revision(engine)
    finally:
        engine.dispose()


def refresh_lock_twice(
    url: str, keys: list[str], connector_id: int, lock_dir: str, tried: Event, released: Event
) -> list[str]:
    """Try the token refresh lock, wait until the parent released its hold, then try again.

    Each try waits 0.5 s at most and reports ``"acquired"`` or ``"busy"``.
    """
    configure_encryption(keys)
    engine = make_engine(url)
    try:
        sessions = session_factory(engine)
        store = DbTokenStore(sessions, connector_id, Path(lock_dir), lock_timeout=0.5)
        outcomes = [_try_lock(store)]
        tried.set()
        released.wait(timeout=30)
        outcomes.append(_try_lock(store))
        return outcomes
    finally:
        engine.dispose()


def _try_lock(store: DbTokenStore) -> str:
    try:
        with store.refresh_lock():
            return "acquired"
    except RetriableError:
        return "busy"


def _call(index: int, target: Callable[..., Any], args: tuple[Any, ...], out: Queue[Any]) -> None:
    try:
        out.put((index, True, target(*args)))
    except BaseException as exc:  # report it: the parent would otherwise wait for a result
        out.put((index, False, f"{type(exc).__name__}: {exc}"))


class Running:
    """Spawned processes whose results are collected by ``results()``."""

    def __init__(self, target: Callable[..., Any], arg_lists: Sequence[tuple[Any, ...]]) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._out: Queue[Any] = ctx.Queue()
        self._procs = [
            ctx.Process(target=_call, args=(i, target, args, self._out))
            for i, args in enumerate(arg_lists)
        ]
        for proc in self._procs:
            proc.start()

    def results(self) -> list[Any]:
        """Wait for every process; results in entry order (a failure fails the test)."""
        return _collect(self._procs, self._out)


def run_processes(target: Callable[..., Any], arg_lists: Sequence[tuple[Any, ...]]) -> list[Any]:
    """Run ``target(*args)`` in one spawned process per entry; results in entry order.

    Synchronisation objects (barriers, events) must be among the args: they reach the children
    by inheritance at start, which is the only way multiprocessing lets them be shared.
    """
    return Running(target, arg_lists).results()


def _collect(procs: list[BaseProcess], out: Queue[Any]) -> list[Any]:
    outcomes = [out.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    failures = [value for _, ok, value in outcomes if not ok]
    assert not failures, f"worker failed: {failures}"
    results = {index: value for index, _, value in outcomes}
    return [results[i] for i in range(len(procs))]


def new_barrier(parties: int) -> Barrier:
    """A barrier spawned children can inherit."""
    return multiprocessing.get_context("spawn").Barrier(parties)


def new_event() -> Event:
    """An event spawned children can inherit."""
    return multiprocessing.get_context("spawn").Event()
