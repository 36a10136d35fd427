"""Vtiger contacts seen with Email Opt Out = 1, by casefolded email (issue 9: consent beyond
one run). A run stores what it read; the planner gets the set of opted-out addresses so no path
leaves a person subscribed in Constant Contact while any Vtiger contact with that email is
opted out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ccsync.store.models import CrmOptOut, utcnow
from ccsync.store.upsert import dialect_insert

CHUNK = 1000


def put_optouts(
    session: Session,
    connector_id: int,
    seen: Mapping[str, str | None],
    now: datetime | None = None,
    *,
    complete: bool = False,
) -> None:
    """Store what a run read: CRM id → casefolded email when opted out, None when not (or gone).

    Args:
        session: an open session (the caller commits).
        connector_id: the connector.
        seen: every Vtiger contact the run read (or found deleted) with its opted-out address.
        now: the time stamped on the rows.
        complete: ``seen`` holds every live Vtiger contact (a full listing): a stored contact
            not in it is gone, and its opt-out with it.
    """
    stamp = now or utcnow()
    held = select(CrmOptOut.crm_id).where(CrmOptOut.connector_id == connector_id)
    existing = set(session.scalars(held))
    cleared = [crm_id for crm_id, email in seen.items() if not email and crm_id in existing]
    if complete:
        cleared += [crm_id for crm_id in existing if crm_id not in seen]
    for start in range(0, len(cleared), CHUNK):
        chunk = cleared[start : start + CHUNK]
        session.execute(
            delete(CrmOptOut).where(
                CrmOptOut.connector_id == connector_id, CrmOptOut.crm_id.in_(chunk)
            )
        )
    rows = [
        {"connector_id": connector_id, "crm_id": crm_id, "email": email, "updated_at": stamp}
        for crm_id, email in seen.items()
        if email
    ]
    if rows:
        stmt = dialect_insert(session, CrmOptOut)
        stmt = stmt.on_conflict_do_update(
            index_elements=[CrmOptOut.connector_id, CrmOptOut.crm_id],
            set_={"email": stmt.excluded.email, "updated_at": stmt.excluded.updated_at},
        )
        session.connection().execute(stmt, rows)


def optout_emails(session: Session, connector_id: int) -> frozenset[str]:
    """The casefolded addresses of every Vtiger contact last seen opted out."""
    stmt = select(CrmOptOut.email).where(CrmOptOut.connector_id == connector_id).distinct()
    return frozenset(session.scalars(stmt))


def optout_holders(session: Session, connector_id: int, emails: Sequence[str]) -> list[str]:
    """The CRM ids opted out under ``emails`` (casefolded)."""
    stmt = select(CrmOptOut.crm_id).where(
        CrmOptOut.connector_id == connector_id, CrmOptOut.email.in_(list(emails))
    )
    return list(session.scalars(stmt))
