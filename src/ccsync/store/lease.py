"""The run lease: at most one run per connector at a time, across processes and machines.

A lease is a row in ``run_leases`` with a holder, where it runs (host name and process id) and
an expiry (TTL 120 s). The holder renews it while the run works; a run that was killed stops
renewing, so its lease expires and the next run takes it over — a dead process never blocks its
connector for long. On the holder's own host the wait is not even needed: a lease whose process
is gone (``os.kill(pid, 0)`` fails) is taken over at once. Every step is one atomic statement (an
upsert guarded by the expiry, an update guarded by the dead holder's name), so two processes
racing for it agree on one winner::

    lease = RunLease(sessions, connector_id, holder=default_holder())
    with lease, lease.keep_alive(interval=30):
        ...                      # the run; check lease.lost between steps
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import TracebackType

from sqlalchemy import Executable, delete, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ccsync.errors import RetriableError
from ccsync.store.models import RunLease as LeaseRow
from ccsync.store.upsert import dialect_insert, rowcount

Clock = Callable[[], datetime]
log = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def default_holder() -> str:
    """A holder name unique to this run: host, process id and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def process_alive(pid: int) -> bool:
    """Whether a process with ``pid`` exists on this host (signal 0 checks without sending)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, under another user
        return True
    return True


def holder_gone(host: str | None, pid: int | None, here: str | None = None) -> bool:
    """True when a lease holder ran on this host and its process is gone."""
    if host is None or pid is None or host != (here or socket.gethostname()):
        return False
    return pid != os.getpid() and not process_alive(pid)


def lease_busy(sessions: sessionmaker[Session], connector_id: int, clock: Clock = _utcnow) -> bool:
    """Whether a live holder (unexpired, not dead on this host) runs the connector now."""
    with sessions.begin() as session:
        row = session.execute(
            select(LeaseRow.expires_at, LeaseRow.holder_host, LeaseRow.holder_pid).where(
                LeaseRow.connector_id == connector_id
            )
        ).first()
    if row is None or row.expires_at <= clock():
        return False
    return not holder_gone(row.holder_host, row.holder_pid)


class LeaseBusy(RetriableError):
    """Another live holder runs this connector right now."""


class RunLease:
    """A renewable, expiring lock on one connector's runs.

    Args:
        sessions: the store's session factory.
        connector_id: the connector to lock.
        holder: a unique name of this run (host, pid and a random part).
        ttl: seconds the lease lives without renewal.
        clock: the current aware UTC time (tests move it).
        host: the host this holder runs on (this machine's name by default).
        pid: the process holding the lease (this process by default).
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        connector_id: int,
        holder: str,
        ttl: float = 120.0,
        clock: Clock = _utcnow,
        *,
        host: str | None = None,
        pid: int | None = None,
    ) -> None:
        self._sessions = sessions
        self.connector_id = connector_id
        self.holder = holder
        self.ttl = ttl
        self._clock = clock
        self.host = host or socket.gethostname()
        self.pid = pid if pid is not None else os.getpid()
        self._lost = threading.Event()

    def __repr__(self) -> str:
        return f"RunLease(connector_id={self.connector_id}, holder={self.holder!r})"

    @property
    def lost(self) -> bool:
        """True once a renewal found the lease taken by someone else."""
        return self._lost.is_set()

    def acquire(self) -> bool:
        """Take the lease if it is free, expired, already ours, or held by a dead process.

        Returns:
            True when this holder now has the lease; False if another live holder has it.
        """
        now = self._clock()
        with self._sessions.begin() as session:
            won = rowcount(session.execute(self._take_stmt(session, now))) == 1
        if not won:
            won = self._take_from_dead(now)
        if won:
            self._lost.clear()
        return won

    def _take_from_dead(self, now: datetime) -> bool:
        """Take over a lease whose holder ran on this host and whose process is gone."""
        with self._sessions.begin() as session:
            row = session.execute(
                select(LeaseRow.holder, LeaseRow.holder_host, LeaseRow.holder_pid).where(
                    LeaseRow.connector_id == self.connector_id
                )
            ).first()
            if row is None or not holder_gone(row.holder_host, row.holder_pid, self.host):
                return False
            stmt = (
                update(LeaseRow)
                .where(LeaseRow.connector_id == self.connector_id, LeaseRow.holder == row.holder)
                .values(**self._values(now))
            )
            taken = rowcount(session.execute(stmt)) == 1
        if taken:
            log.warning(
                "took over the run lease of connector %s from %s: its process is gone",
                self.connector_id,
                row.holder,
            )
        return taken

    def _values(self, now: datetime) -> dict[str, object]:
        return {
            "holder": self.holder,
            "expires_at": now + timedelta(seconds=self.ttl),
            "acquired_at": now,
            "holder_host": self.host,
            "holder_pid": self.pid,
        }

    def _take_stmt(self, session: Session, now: datetime) -> Executable:
        stmt = dialect_insert(session, LeaseRow).values(
            connector_id=self.connector_id, **self._values(now)
        )
        # Only an expired lease, or our own, may be overwritten: the guard makes the takeover
        # and the race between two processes a single atomic statement.
        return stmt.on_conflict_do_update(
            index_elements=[LeaseRow.connector_id],
            set_={
                "holder": stmt.excluded.holder,
                "expires_at": stmt.excluded.expires_at,
                "acquired_at": stmt.excluded.acquired_at,
                "holder_host": stmt.excluded.holder_host,
                "holder_pid": stmt.excluded.holder_pid,
            },
            where=(LeaseRow.expires_at <= now) | (LeaseRow.holder == self.holder),
        )

    def renew(self) -> bool:
        """Push the expiry ``ttl`` seconds ahead.

        Returns:
            False when the lease was lost (taken over after expiring, or released).
        """
        expires = self._clock() + timedelta(seconds=self.ttl)
        stmt = (
            update(LeaseRow)
            .where(LeaseRow.connector_id == self.connector_id, LeaseRow.holder == self.holder)
            .values(expires_at=expires)
        )
        with self._sessions.begin() as session:
            kept = rowcount(session.execute(stmt)) == 1
        if not kept:
            self._lost.set()
        return kept

    def release(self) -> None:
        """Give the lease up (a no-op if it is no longer ours)."""
        stmt = delete(LeaseRow).where(
            LeaseRow.connector_id == self.connector_id, LeaseRow.holder == self.holder
        )
        with self._sessions.begin() as session:
            session.execute(stmt)

    def __enter__(self) -> RunLease:
        if not self.acquire():
            raise LeaseBusy(f"connector {self.connector_id} is already running")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    @contextmanager
    def keep_alive(self, interval: float = 30.0) -> Iterator[RunLease]:
        """Renew the lease every ``interval`` seconds in a background thread.

        The thread stops at the end of the block or once the lease is lost (``lost`` then
        turns True, and the run should stop before writing more).

        Args:
            interval: seconds between renewals; keep it well under ``ttl``.

        Yields:
            This lease.
        """
        stop = threading.Event()
        thread = threading.Thread(
            target=self._renew_loop,
            args=(stop, interval),
            name=f"lease-{self.connector_id}",
            daemon=True,
        )
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join()

    def _renew_loop(self, stop: threading.Event, interval: float) -> None:
        while not stop.wait(interval):
            try:
                if not self.renew():
                    return
            except SQLAlchemyError:
                # A database hiccup must not kill the renewer: the next tick retries, and the
                # TTL leaves room for a few failed renewals.
                log.warning("renewing the run lease of connector %s failed", self.connector_id)
