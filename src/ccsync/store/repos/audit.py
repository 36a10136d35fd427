"""The audit log: sign-ins, failed sign-ins, settings changes, revokes, held confirmations,
user changes — who, what, on what, from where. Never holds a secret."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ccsync.store.models import AuditEvent
from ccsync.store.repos._convert import to_row


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One audit entry."""

    id: int
    at: datetime
    actor_id: int | None
    actor: str | None
    action: str
    target: str | None
    client: str | None
    detail: str | None


def record_event(
    session: Session,
    action: str,
    *,
    actor_id: int | None = None,
    actor: str | None = None,
    target: str | None = None,
    client: str | None = None,
    detail: str | None = None,
) -> None:
    """Append one entry (the caller commits)."""
    session.add(
        AuditEvent(
            action=action[:64],
            actor_id=actor_id,
            actor=actor[:255] if actor else None,
            target=target[:255] if target else None,
            client=client[:64] if client else None,
            detail=detail[:2000] if detail else None,
        )
    )


def list_events(session: Session, *, limit: int = 200, offset: int = 0) -> list[AuditRow]:
    """The newest entries first."""
    query = (
        select(AuditEvent)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [to_row(AuditRow, e) for e in session.scalars(query)]
