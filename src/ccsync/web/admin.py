"""Admin reads and actions on accounts: users with their live sessions, ending them, the audit
log."""

from __future__ import annotations

from datetime import timedelta

from ccsync.store.repos.audit import AuditRow, list_events
from ccsync.store.repos.rows import UserRow
from ccsync.store.repos.users import get_user, list_users
from ccsync.store.repos.websessions import count_sessions, end_user_sessions
from ccsync.web.context import WebContext


def users_with_sessions(ctx: WebContext) -> list[tuple[UserRow, int]]:
    """Every account with its number of live sessions."""
    idle = timedelta(minutes=ctx.settings.session_idle_minutes)
    with ctx.sessions() as session:
        counts = count_sessions(session, idle=idle)
        return [(u, counts.get(u.id, 0)) for u in list_users(session)]


def end_sessions(ctx: WebContext, user_id: int) -> tuple[UserRow, int] | None:
    """End every session of the user; None when there is no such user."""
    with ctx.sessions.begin() as session:
        user = get_user(session, user_id)
        if user is None:
            return None
        return user, end_user_sessions(session, user_id)


def audit_events(ctx: WebContext, limit: int, offset: int = 0) -> list[AuditRow]:
    """The newest audit entries first."""
    with ctx.sessions() as session:
        return list_events(session, limit=limit, offset=offset)
