"""The retry queue: failed writes retried with exponential backoff, dead after 5 attempts.

An entry is keyed by (connector, source side, record id): the record whose change failed to
apply. It comes back from the dead when the record changes again (``reactivate``) or an admin
clicks "retry now" (``retry_now``); it disappears once the write succeeds (``clear_retries``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ccsync.store.models import RetryEntry, utcnow
from ccsync.store.repos._convert import to_row
from ccsync.store.repos.rows import RetryRow
from ccsync.store.upsert import rowcount

MAX_ATTEMPTS = 5
BACKOFF_BASE_S = 300.0  # 5 min, 10 min, 20 min, 40 min … (capped)
BACKOFF_CAP_S = 6 * 3600.0


def backoff(attempts: int, base: float = BACKOFF_BASE_S) -> timedelta:
    """Delay before the next try after ``attempts`` failed attempts: ``base · 2^(attempts-1)``."""
    return timedelta(seconds=min(BACKOFF_CAP_S, base * 2 ** max(0, attempts - 1)))


def record_failure(
    session: Session,
    connector_id: int,
    *,
    side: str,
    source_side: str,
    record_id: str,
    error: str,
    payload: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    backoff_base: float = BACKOFF_BASE_S,
) -> RetryRow:
    """Count one more failed attempt of a record's write.

    Args:
        session: an open session (the caller commits).
        connector_id: the connector.
        side: the target side the write failed on.
        source_side: the side the change came from.
        record_id: the source record's id.
        error: the last error (no secrets).
        payload: what is needed to retry (the version that failed…).
        now: the time of the failure.
        backoff_base: the first delay in seconds.

    Returns:
        The entry; ``dead`` is True once it failed ``MAX_ATTEMPTS`` times.
    """
    stamp = now or utcnow()
    entry = session.scalar(_key(connector_id, source_side, record_id))
    if entry is None:
        entry = RetryEntry(
            connector_id=connector_id, source_side=source_side, record_id=record_id, attempts=0
        )
        session.add(entry)
    entry.side = side
    entry.attempts += 1
    entry.last_error = error
    entry.payload = dict(payload or {})
    entry.dead = entry.attempts >= MAX_ATTEMPTS
    entry.next_attempt_at = stamp + backoff(entry.attempts, backoff_base)
    entry.updated_at = stamp
    session.flush()
    return to_row(RetryRow, entry)


def _key(connector_id: int, source_side: str, record_id: str) -> Any:
    return select(RetryEntry).where(
        RetryEntry.connector_id == connector_id,
        RetryEntry.source_side == source_side,
        RetryEntry.record_id == record_id,
    )


def due_retries(
    session: Session,
    connector_id: int,
    *,
    now: datetime | None = None,
    source_side: str | None = None,
) -> list[RetryRow]:
    """Live entries whose next attempt is due, oldest due first."""
    stmt = select(RetryEntry).where(
        RetryEntry.connector_id == connector_id,
        RetryEntry.dead.is_(False),
        RetryEntry.next_attempt_at <= (now or utcnow()),
    )
    if source_side is not None:
        stmt = stmt.where(RetryEntry.source_side == source_side)
    stmt = stmt.order_by(RetryEntry.next_attempt_at, RetryEntry.id)
    return [to_row(RetryRow, e) for e in session.scalars(stmt)]


def list_retries(
    session: Session, connector_id: int, *, dead: bool | None = None
) -> list[RetryRow]:
    """Entries of the connector (only dead letters with ``dead=True``, only live with False)."""
    stmt = select(RetryEntry).where(RetryEntry.connector_id == connector_id)
    if dead is not None:
        stmt = stmt.where(RetryEntry.dead.is_(dead))
    return [to_row(RetryRow, e) for e in session.scalars(stmt.order_by(RetryEntry.id))]


def retry_now(
    session: Session,
    connector_id: int,
    entry_ids: Sequence[int] | None = None,
    now: datetime | None = None,
) -> int:
    """Make entries (default: all dead letters) due at once with a fresh set of attempts.

    Returns:
        How many entries were revived.
    """
    stmt = update(RetryEntry).where(RetryEntry.connector_id == connector_id)
    if entry_ids is None:
        stmt = stmt.where(RetryEntry.dead.is_(True))
    else:
        stmt = stmt.where(RetryEntry.id.in_(entry_ids))
    return _revive(session, stmt, now)


def reactivate(
    session: Session,
    connector_id: int,
    source_side: str,
    record_ids: Sequence[str],
    now: datetime | None = None,
) -> int:
    """Bring dead letters back because their source records changed again.

    Returns:
        How many entries were revived.
    """
    stmt = update(RetryEntry).where(
        RetryEntry.connector_id == connector_id,
        RetryEntry.source_side == source_side,
        RetryEntry.dead.is_(True),
        RetryEntry.record_id.in_(record_ids),
    )
    return _revive(session, stmt, now)


def _revive(session: Session, stmt: Any, now: datetime | None) -> int:
    stamp = now or utcnow()
    values = {"dead": False, "attempts": 0, "next_attempt_at": stamp, "updated_at": stamp}
    return rowcount(session.execute(stmt.values(**values)))


def clear_retries(
    session: Session, connector_id: int, source_side: str, record_ids: Sequence[str]
) -> int:
    """Drop the entries of records whose write succeeded.

    Returns:
        How many entries were removed.
    """
    total = 0
    for start in range(0, len(record_ids), 1000):
        stmt = delete(RetryEntry).where(
            RetryEntry.connector_id == connector_id,
            RetryEntry.source_side == source_side,
            RetryEntry.record_id.in_(record_ids[start : start + 1000]),
        )
        total += rowcount(session.execute(stmt))
    return total
