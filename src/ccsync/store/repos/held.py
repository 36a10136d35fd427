"""Actions held by the circuit breaker, and items that need a person's attention."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ccsync.store.models import Attention, HeldAction, utcnow
from ccsync.store.repos._convert import to_row
from ccsync.store.repos.rows import AttentionRow, HeldRow, HeldWrite


def _held_key(side: str, action: str, crm_id: str | None, cc_id: str | None) -> tuple[Any, ...]:
    return (side, action, crm_id, cc_id)


def add_held(
    session: Session,
    connector_id: int,
    items: Sequence[HeldWrite],
    *,
    run_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Hold ``items`` until an admin confirms or discards them (duplicates are kept once).

    Returns:
        How many new items were held.
    """
    existing = {
        _held_key(h.side, h.action, h.crm_id, h.cc_id) for h in list_held(session, connector_id)
    }
    stamp = now or utcnow()
    added = 0
    for item in items:
        key = _held_key(item.side, item.action, item.crm_id, item.cc_id)
        if key in existing:
            continue
        existing.add(key)
        values = {**asdict(item), "payload": dict(item.payload)}
        session.add(HeldAction(connector_id=connector_id, run_id=run_id, held_at=stamp, **values))
        added += 1
    session.flush()
    return added


def list_held(
    session: Session, connector_id: int, *, side: str | None = None, action: str | None = None
) -> list[HeldRow]:
    """The held actions, oldest first."""
    stmt = select(HeldAction).where(HeldAction.connector_id == connector_id)
    if side is not None:
        stmt = stmt.where(HeldAction.side == side)
    if action is not None:
        stmt = stmt.where(HeldAction.action == action)
    return [to_row(HeldRow, h) for h in session.scalars(stmt.order_by(HeldAction.id))]


def count_held(session: Session, connector_id: int) -> dict[tuple[str, str], int]:
    """Held actions per ``(side, action)`` ("12 deletes held")."""
    stmt = (
        select(HeldAction.side, HeldAction.action, func.count())
        .where(HeldAction.connector_id == connector_id)
        .group_by(HeldAction.side, HeldAction.action)
    )
    return {(side, action): int(n) for side, action, n in session.execute(stmt)}


def pop_held(
    session: Session, connector_id: int, ids: Sequence[int] | None = None
) -> list[HeldRow]:
    """Remove and return held actions (all, or ``ids``) for Confirm or Discard."""
    stmt = select(HeldAction).where(HeldAction.connector_id == connector_id)
    if ids is not None:
        stmt = stmt.where(HeldAction.id.in_(ids))
    rows = list(session.scalars(stmt.order_by(HeldAction.id)))
    popped = [to_row(HeldRow, h) for h in rows]
    if rows:
        session.execute(delete(HeldAction).where(HeldAction.id.in_([h.id for h in rows])))
    return popped


def add_attention(
    session: Session,
    connector_id: int,
    *,
    kind: str,
    email: str,
    candidates: Sequence[Any],
    now: datetime | None = None,
) -> bool:
    """List an item once per (kind, email); later runs do not add it again.

    An unresolved item gets the new candidates. A resolved item is reopened only when the
    candidates differ from the ones it was resolved with.

    Returns:
        True when the item is new (or reopened), False when it was listed already.
    """
    values = list(candidates)
    stmt = select(Attention).where(
        Attention.connector_id == connector_id, Attention.kind == kind, Attention.email == email
    )
    item = session.scalar(stmt)
    if item is None:
        session.add(
            Attention(
                connector_id=connector_id,
                kind=kind,
                email=email,
                candidates=values,
                created_at=now or utcnow(),
            )
        )
        session.flush()
        return True
    reopen = item.resolved and candidate_ids(item.candidates) != candidate_ids(values)
    if reopen:
        item.resolved, item.resolved_at = False, None
    if not item.resolved:
        item.candidates = values
    session.flush()
    return reopen


def candidate_ids(raw: Sequence[Any]) -> list[str]:
    """The Vtiger ids of an item's candidates (stored as ids, or as dicts with ``crm_id``)."""
    return [str(c.get("crm_id", "")) if isinstance(c, dict) else str(c) for c in raw]


def list_attention(
    session: Session, connector_id: int, *, include_resolved: bool = False
) -> list[AttentionRow]:
    """Items needing attention, oldest first."""
    stmt = select(Attention).where(Attention.connector_id == connector_id)
    if not include_resolved:
        stmt = stmt.where(Attention.resolved.is_(False))
    return [to_row(AttentionRow, a) for a in session.scalars(stmt.order_by(Attention.id))]


def resolve_attention(session: Session, attention_id: int, now: datetime | None = None) -> bool:
    """Mark an item resolved ("link this one" done).

    Returns:
        False when there is no such item.
    """
    item = session.get(Attention, attention_id)
    if item is None:
        return False
    item.resolved = True
    item.resolved_at = now or utcnow()
    session.flush()
    return True
