"""Debug-log entries: the redacted remote calls of runs in Debug Mode."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.orm import Session

from ccsync.connectors.trace import MAX_BODY, TraceEntry, redact
from ccsync.store.models import DebugEntry
from ccsync.store.repos._convert import columns_for
from ccsync.store.repos.rows import DebugRow
from ccsync.store.upsert import rowcount

# Bodies arrive capped by the tracer; this bound only keeps a misbehaving caller from
# storing more than the Debug Log allows (64 KB plus the tracer's "more bytes not kept" note).
_MAX_TEXT = MAX_BODY + 200
_COLUMNS = columns_for(DebugRow, DebugEntry.__table__)


def _entry_values(connector_id: int, run_id: int | None, entry: TraceEntry) -> dict[str, object]:
    return {
        "connector_id": connector_id,
        "run_id": run_id,
        "at": entry.at,
        "method": entry.method[:16],
        "url": redact(entry.url)[:_MAX_TEXT],
        "status": entry.status,
        "duration_ms": float(entry.duration_ms),
        "request_headers": dict(entry.request_headers),
        "request_body": entry.request_body[:_MAX_TEXT],
        "response_headers": dict(entry.response_headers),
        "response_body": entry.response_body[:_MAX_TEXT],
    }


def append_debug(
    session: Session, connector_id: int, run_id: int | None, entries: Iterable[TraceEntry]
) -> int:
    """Store traced requests of a run.

    Returns:
        How many entries were stored.
    """
    rows = [_entry_values(connector_id, run_id, entry) for entry in entries]
    if rows:
        session.execute(insert(DebugEntry), rows)
    return len(rows)


def _run_query(run_id: int) -> Select[Any]:
    return select(*_COLUMNS).where(DebugEntry.run_id == run_id).order_by(DebugEntry.id)


def list_debug(
    session: Session, run_id: int, *, limit: int = 200, offset: int = 0
) -> list[DebugRow]:
    """One page of a run's debug entries, in call order."""
    rows = session.execute(_run_query(run_id).limit(limit).offset(offset))
    return [DebugRow(*row) for row in rows]


def debug_counts(session: Session, connector_id: int, *, limit: int = 20) -> list[tuple[int, int]]:
    """``(run id, entries)`` of the connector's latest runs that have debug entries."""
    stmt = (
        select(DebugEntry.run_id, func.count())
        .where(DebugEntry.connector_id == connector_id, DebugEntry.run_id.is_not(None))
        .group_by(DebugEntry.run_id)
        .order_by(DebugEntry.run_id.desc())
        .limit(limit)
    )
    return [(int(run_id or 0), int(n)) for run_id, n in session.execute(stmt) if run_id]


def count_debug(session: Session, run_id: int) -> int:
    """How many debug entries a run has."""
    stmt = select(func.count()).select_from(DebugEntry).where(DebugEntry.run_id == run_id)
    return int(session.scalar(stmt) or 0)


def iter_debug(session: Session, run_id: int, *, chunk: int = 500) -> Iterator[DebugRow]:
    """Every debug entry of a run, streamed (download)."""
    stmt = _run_query(run_id).execution_options(yield_per=chunk)
    for row in session.connection().execute(stmt):
        yield DebugRow(*row)


def purge_debug(session: Session, before: datetime) -> int:
    """Delete debug entries older than ``before`` (retention).

    Returns:
        How many entries were deleted.
    """
    return rowcount(session.execute(delete(DebugEntry).where(DebugEntry.at < before)))
