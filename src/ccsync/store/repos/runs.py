"""Runs and run items: what each run did, per side and action, and why."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, insert, select, update
from sqlalchemy.orm import Session

from ccsync.errors import NotFound
from ccsync.store.models import Run, RunItem, utcnow
from ccsync.store.repos._convert import columns_for, to_row
from ccsync.store.repos.rows import RunItemRow, RunItemWrite, RunRow

ITEM_CHUNK = 1000
_ITEM_COLUMNS = columns_for(RunItemRow, RunItem.__table__)


def start_run(
    session: Session,
    connector_id: int,
    trigger: str,
    *,
    first_run: bool = False,
    now: datetime | None = None,
) -> RunRow:
    """Record that a run started (status ``running``).

    Args:
        session: an open session (commit it so the UI sees the run at once).
        connector_id: the connector.
        trigger: ``manual``, ``schedule``, ``cli``, ``preview``, ``confirm``…
        first_run: whether this is the connector's first run.
        now: start time.

    Returns:
        The new run.
    """
    run = Run(
        connector_id=connector_id,
        trigger=trigger,
        status="running",
        started_at=now or utcnow(),
        counts={},
        calls={},
        first_run=first_run,
    )
    session.add(run)
    session.flush()
    return to_row(RunRow, run)


def _run(session: Session, run_id: int) -> Run:
    run = session.get(Run, run_id)
    if run is None:
        raise NotFound(f"no run {run_id}")
    return run


def update_run(
    session: Session,
    run_id: int,
    *,
    counts: Mapping[str, Any] | None = None,
    calls: Mapping[str, Any] | None = None,
) -> None:
    """Store progress of a running run (counts so far, calls so far).

    Raises:
        NotFound: no such run.
    """
    run = _run(session, run_id)
    if counts is not None:
        run.counts = dict(counts)
    if calls is not None:
        run.calls = dict(calls)
    session.flush()


def finish_run(
    session: Session,
    run_id: int,
    *,
    status: str,
    counts: Mapping[str, Any] | None = None,
    calls: Mapping[str, Any] | None = None,
    error: str | None = None,
    preview_required: bool = False,
    now: datetime | None = None,
) -> RunRow:
    """Record how a run ended.

    Args:
        session: an open session.
        run_id: the run.
        status: ``ok``, ``failed``, ``preview``, ``held``…
        counts: ``{side: {action: n}}``.
        calls: ``{side: n}`` remote requests.
        error: what stopped the run (no secrets).
        preview_required: the first run stopped at its Preview.
        now: end time.

    Returns:
        The finished run.

    Raises:
        NotFound: no such run.
    """
    update_run(session, run_id, counts=counts, calls=calls)
    run = _run(session, run_id)
    run.status = status
    run.error = error
    run.preview_required = preview_required
    run.ended_at = now or utcnow()
    session.flush()
    return to_row(RunRow, run)


COUNT_ACTIONS = ("created", "updated", "skipped", "deleted")


def interrupt_stale_runs(session: Session, connector_id: int, now: datetime | None = None) -> int:
    """Mark runs still ``running`` as ``interrupted`` (call it right after taking the lease:
    whoever ran them died), with the counts of the items they logged before they stopped.

    Returns:
        How many runs were marked.
    """
    stale = session.scalars(
        select(Run.id).where(Run.connector_id == connector_id, Run.status == "running")
    ).all()
    for run_id in stale:
        stmt = (
            update(Run)
            .where(Run.id == run_id, Run.status == "running")
            .values(
                status="interrupted",
                ended_at=now or utcnow(),
                error="the run stopped early (its process ended before it finished)",
                counts=counts_of_items(session, run_id),
            )
        )
        session.execute(stmt)
    return len(stale)


def counts_of_items(session: Session, run_id: int) -> dict[str, dict[str, int]]:
    """Per target side and action, how many items a run logged (the counts of a killed run)."""
    counts = {side: dict.fromkeys(COUNT_ACTIONS, 0) for side in ("cc", "crm")}
    stmt = (
        select(RunItem.side, RunItem.action, func.count())
        .where(RunItem.run_id == run_id)
        .group_by(RunItem.side, RunItem.action)
    )
    for side, action, n in session.execute(stmt):
        if side in counts and action in counts[side]:
            counts[side][action] = int(n)
    return counts


def get_run(session: Session, run_id: int) -> RunRow | None:
    """The run with ``run_id``, or None."""
    run = session.get(Run, run_id)
    return None if run is None else to_row(RunRow, run)


def list_runs(
    session: Session, connector_id: int, *, limit: int = 50, offset: int = 0
) -> list[RunRow]:
    """The connector's runs, newest first."""
    stmt = (
        select(Run)
        .where(Run.connector_id == connector_id)
        .order_by(Run.started_at.desc(), Run.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [to_row(RunRow, run) for run in session.scalars(stmt)]


def last_run_starts(
    session: Session, except_triggers: tuple[str, ...] = ("preview", "discard_held")
) -> dict[int, datetime]:
    """Connector id → start of its newest run (runs of ``except_triggers`` left out): what the
    queue's periodic tick measures a connector's Background Sync Frequency from."""
    stmt = (
        select(Run.connector_id, func.max(Run.started_at))
        .where(Run.trigger.not_in(except_triggers))
        .group_by(Run.connector_id)
    )
    return {cid: started for cid, started in session.execute(stmt) if started is not None}


def calls_since(session: Session, since: datetime) -> dict[int, dict[str, int]]:
    """Connector id → remote calls per side (``crm``, ``cc``) of its runs started since
    ``since`` (what ``ccsync budget`` and ``/metrics`` show as today's calls)."""
    out: dict[int, dict[str, int]] = {}
    stmt = select(Run.connector_id, Run.calls).where(Run.started_at >= since)
    for cid, calls in session.execute(stmt):
        totals = out.setdefault(cid, {"crm": 0, "cc": 0})
        for side in totals:
            value = (calls or {}).get(side)
            totals[side] += value if isinstance(value, int) else 0
    return out


def latest_run(
    session: Session, connector_id: int, *, except_trigger: str | None = None
) -> RunRow | None:
    """The connector's newest run (leaving out runs of ``except_trigger``, e.g. ``preview``)."""
    stmt = select(Run).where(Run.connector_id == connector_id)
    if except_trigger is not None:
        stmt = stmt.where(Run.trigger != except_trigger)
    run = session.scalars(stmt.order_by(Run.started_at.desc(), Run.id.desc()).limit(1)).first()
    return None if run is None else to_row(RunRow, run)


def waiting_first_run(session: Session, connector_id: int) -> RunRow | None:
    """The first run that stopped at its Preview and waits for Confirm or Discard, if any.

    Previews asked for (trigger ``preview``) do not end the wait: the newest run of any other
    trigger decides.
    """
    run = latest_run(session, connector_id, except_trigger="preview")
    if run is None or run.status != "preview" or not run.preview_required:
        return None
    return run


def set_preview_required(session: Session, run_id: int, value: bool) -> None:
    """Mark whether a run that stopped at its Preview still waits for Confirm.

    Raises:
        NotFound: no such run.
    """
    _run(session, run_id).preview_required = value
    session.flush()


def reason_counts(
    session: Session, run_id: int, *, side: str | None = None, action: str | None = None
) -> dict[str, int]:
    """How many of the run's items (of ``side`` and ``action``) have each reason."""
    inner = _items_query(run_id, side, action, None).subquery()
    stmt = (
        select(inner.c.reason, func.count())
        .where(inner.c.reason.is_not(None))
        .group_by(inner.c.reason)
        .order_by(inner.c.reason)
    )
    return {str(reason): int(n) for reason, n in session.execute(stmt)}


def add_run_items(session: Session, run_id: int, items: Sequence[RunItemWrite]) -> int:
    """Bulk-insert the items of a run.

    Returns:
        How many items were stored.
    """
    stamp = utcnow()
    for start in range(0, len(items), ITEM_CHUNK):
        rows = [
            {**asdict(item), "run_id": run_id, "created_at": stamp}
            for item in items[start : start + ITEM_CHUNK]
        ]
        session.connection().execute(insert(RunItem), rows)
    return len(items)


def _items_query(
    run_id: int, side: str | None, action: str | None, reason: str | None
) -> Select[Any]:
    stmt = select(*_ITEM_COLUMNS).where(RunItem.run_id == run_id)
    if side is not None:
        stmt = stmt.where(RunItem.side == side)
    if action is not None:
        stmt = stmt.where(RunItem.action == action)
    if reason is not None:
        stmt = stmt.where(RunItem.reason == reason)
    return stmt


def list_run_items(
    session: Session,
    run_id: int,
    *,
    side: str | None = None,
    action: str | None = None,
    reason: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[RunItemRow]:
    """One page of a run's items, optionally for one side, action and reason (drill-down)."""
    stmt = _items_query(run_id, side, action, reason).order_by(RunItem.id)
    rows = session.execute(stmt.limit(limit).offset(offset))
    return [RunItemRow(*row) for row in rows]


def count_run_items(
    session: Session,
    run_id: int,
    *,
    side: str | None = None,
    action: str | None = None,
    reason: str | None = None,
) -> int:
    """How many items match (for paging)."""
    inner = _items_query(run_id, side, action, reason).subquery()
    return int(session.scalar(select(func.count()).select_from(inner)) or 0)


def iter_run_items(
    session: Session,
    run_id: int,
    *,
    side: str | None = None,
    action: str | None = None,
    chunk: int = 2000,
) -> Iterator[RunItemRow]:
    """Every matching item, streamed in chunks (CSV export)."""
    stmt = _items_query(run_id, side, action, None).order_by(RunItem.id)
    for row in session.connection().execute(stmt.execution_options(yield_per=chunk)):
        yield RunItemRow(*row)
