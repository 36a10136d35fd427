"""The registry of ``ccsync worker`` processes: who is alive, and what each one did.

A worker registers at start, beats every ``worker_heartbeat_s`` and marks itself stopped on a
clean exit; a worker killed outright simply stops beating. ``dead_worker_lease`` uses the
registry to take over a run lease whose holder was a worker that stopped beating, on any
machine, long before the lease's own TTL would free it::

    worker_id = register_worker(sessions, "worker-1", concurrency=4)
    beat(sessions, worker_id)                       # every few seconds
    count_run(sessions, worker_id, failed=False)    # after each run
    stop_worker(sessions, worker_id)
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from ccsync.store.models import RunLease as LeaseRow
from ccsync.store.models import Worker
from ccsync.store.upsert import rowcount


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class WorkerRow:
    """One registered worker as the CLI and the metrics show it."""

    id: int
    name: str
    host: str
    pid: int
    concurrency: int
    started_at: datetime
    last_seen: datetime
    stopped_at: datetime | None
    runs: int
    failures: int

    def alive(self, stalled_after: float, now: datetime | None = None) -> bool:
        """Not stopped, and beating within the last ``stalled_after`` seconds."""
        if self.stopped_at is not None:
            return False
        return (now or _now()) - self.last_seen <= timedelta(seconds=stalled_after)


def register_worker(sessions: sessionmaker[Session], name: str, concurrency: int) -> int:
    """Add this process (host name, pid) as a live worker; returns its id."""
    with sessions.begin() as session:
        row = Worker(
            name=name,
            host=socket.gethostname(),
            pid=os.getpid(),
            concurrency=concurrency,
            runs=0,
            failures=0,
        )
        session.add(row)
        session.flush()
        return row.id


def beat(sessions: sessionmaker[Session], worker_id: int) -> None:
    """Say the worker is alive now."""
    with sessions.begin() as session:
        session.execute(update(Worker).where(Worker.id == worker_id).values(last_seen=_now()))


def stop_worker(sessions: sessionmaker[Session], worker_id: int) -> None:
    """Mark a worker as stopped on a clean exit."""
    with sessions.begin() as session:
        now = _now()
        stmt = update(Worker).where(Worker.id == worker_id).values(stopped_at=now, last_seen=now)
        session.execute(stmt)


def count_run(sessions: sessionmaker[Session], worker_id: int, *, failed: bool) -> None:
    """Count one finished run of this worker (and whether it failed)."""
    with sessions.begin() as session:
        stmt = update(Worker).where(Worker.id == worker_id)
        values = {"runs": Worker.runs + 1}
        if failed:
            values["failures"] = Worker.failures + 1
        session.execute(stmt.values(**values))


def list_workers(sessions: sessionmaker[Session], since: datetime | None = None) -> list[WorkerRow]:
    """Every worker (those seen after ``since`` when given), newest first."""
    stmt = select(Worker).order_by(Worker.id.desc())
    if since is not None:
        stmt = stmt.where(Worker.last_seen >= since)
    with sessions() as session:
        return [
            WorkerRow(
                w.id,
                w.name,
                w.host,
                w.pid,
                w.concurrency,
                w.started_at,
                w.last_seen,
                w.stopped_at,
                w.runs,
                w.failures,
            )  # fmt: skip
            for w in session.scalars(stmt)
        ]


def dead_worker_lease(
    sessions: sessionmaker[Session], connector_id: int, stalled_after: float
) -> str | None:
    """Expire the connector's run lease when its holder is a worker that stopped beating.

    The holder is found by the host name and pid the lease records. Only that holder's lease
    is expired (a guarded update), so a lease taken meanwhile by someone else stays.

    Returns:
        The dead holder whose lease was expired, or None (no lease, or a live holder).
    """
    now = _now()
    with sessions.begin() as session:
        lease = session.execute(
            select(LeaseRow.holder, LeaseRow.holder_host, LeaseRow.holder_pid).where(
                LeaseRow.connector_id == connector_id, LeaseRow.expires_at > now
            )
        ).first()
        if lease is None or lease.holder_host is None or lease.holder_pid is None:
            return None
        worker = session.execute(
            select(Worker.last_seen, Worker.stopped_at)
            .where(Worker.host == lease.holder_host, Worker.pid == lease.holder_pid)
            .order_by(Worker.id.desc())
            .limit(1)
        ).first()
        if worker is None:
            return None  # not a worker (the CLI, the web app): its TTL decides
        stale = now - worker.last_seen > timedelta(seconds=stalled_after)
        if not (stale or worker.stopped_at is not None):
            return None
        expired = session.execute(
            update(LeaseRow)
            .where(LeaseRow.connector_id == connector_id, LeaseRow.holder == lease.holder)
            .values(expires_at=now)
        )
        return str(lease.holder) if rowcount(expired) == 1 else None
