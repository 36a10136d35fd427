"""Server-side web sessions: the browser's cookie carries a random token, the store its hash.

A session ends when it is deleted (sign-out, password change, an admin ending the user's
sessions) or when it is older than its lifetime or idle for too long::

    token = start_session(session, user_id, lifetime=timedelta(days=7), client="127.0.0.1")
    user_id = session_user(session, token, idle=timedelta(hours=8))   # None once ended
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ccsync.store.models import WebSession, utcnow

TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    session: Session, user_id: int, *, lifetime: timedelta, client: str | None = None
) -> str:
    """Record a new sign-in of ``user_id`` and return its token (for the cookie only)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        WebSession(
            id=_digest(token),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
            client=(client or "")[:64] or None,
        )
    )
    return token


def session_user(
    session: Session, token: str, *, idle: timedelta, now: datetime | None = None
) -> tuple[int, bool] | None:
    """``(user id, needs a touch)`` of a live session, or None when unknown, expired or idle.

    Expired and idle sessions are deleted by ``purge_sessions``; here they are just refused.
    """
    now = now or utcnow()
    row = session.get(WebSession, _digest(token))
    if row is None or row.expires_at <= now or row.last_seen_at + idle <= now:
        return None
    return row.user_id, row.last_seen_at + TOUCH_EVERY <= now


def touch_session(session: Session, token: str) -> None:
    """Note activity on the session (restarts the idle timeout)."""
    row = session.get(WebSession, _digest(token))
    if row is not None:
        row.last_seen_at = utcnow()


def end_session(session: Session, token: str) -> None:
    """Sign-out: the token stops working."""
    session.execute(delete(WebSession).where(WebSession.id == _digest(token)))


def end_user_sessions(session: Session, user_id: int, *, keep: str | None = None) -> int:
    """End every session of ``user_id`` (except the one with token ``keep``); returns how many."""
    query = delete(WebSession).where(WebSession.user_id == user_id)
    if keep is not None:
        query = query.where(WebSession.id != _digest(keep))
    return int(session.execute(query).rowcount or 0)  # type: ignore[attr-defined]


def count_sessions(session: Session, *, idle: timedelta) -> dict[int, int]:
    """Live sessions per user id."""
    now = utcnow()
    rows = session.execute(
        select(WebSession.user_id, func.count())
        .where(WebSession.expires_at > now, WebSession.last_seen_at > now - idle)
        .group_by(WebSession.user_id)
    )
    return {int(user_id): int(n) for user_id, n in rows}


def purge_sessions(session: Session, *, idle: timedelta) -> int:
    """Delete expired and idle sessions; returns how many."""
    now = utcnow()
    result = session.execute(
        delete(WebSession).where(
            (WebSession.expires_at <= now) | (WebSession.last_seen_at <= now - idle)
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
