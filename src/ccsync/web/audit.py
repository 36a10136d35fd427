"""Write audit-log entries from request handlers (who, from where, on what)."""

from __future__ import annotations

import logging

from fastapi import Request
from sqlalchemy.exc import SQLAlchemyError

from ccsync.store.repos.audit import record_event
from ccsync.store.repos.rows import UserRow
from ccsync.web.deps import get_ctx

log = logging.getLogger(__name__)


def client_address(request: Request) -> str:
    """The client's address as the server saw it (no proxy headers are trusted)."""
    return request.client.host if request.client is not None else "unknown"


def audit(
    request: Request,
    action: str,
    *,
    target: str | None = None,
    detail: str | None = None,
    user: UserRow | None = None,
    actor: str | None = None,
) -> None:
    """Record ``action`` by the signed-in user (or ``user``/``actor``) in its own transaction.

    An entry that cannot be written (a read-only database) is logged instead; it never turns a
    finished action into an error.
    """
    who = user or getattr(request.state, "user", None)
    try:
        with get_ctx(request).sessions.begin() as session:
            record_event(
                session,
                action,
                actor_id=who.id if who is not None else None,
                actor=who.username if who is not None else actor,
                target=target,
                client=client_address(request),
                detail=detail,
            )
    except SQLAlchemyError as exc:
        log.warning("audit entry %r not written: %s", action, type(exc).__name__)
