"""JSON API for admins: the audit log, ending a user's sessions."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel

from ccsync.web.admin import audit_events, end_sessions
from ccsync.web.audit import audit
from ccsync.web.deps import AdminUser, PathId, get_ctx
from ccsync.web.routes.api_common import ERRORS
from ccsync.web.schemas import Message

router = APIRouter(tags=["admin"], responses=ERRORS)


class AuditOut(BaseModel):
    """One audit-log entry."""

    id: int
    at: datetime
    actor_id: int | None
    actor: str | None
    action: str
    target: str | None
    client: str | None
    detail: str | None


@router.get("/audit", response_model=list[AuditOut])
def audit_log(
    request: Request,
    user: AdminUser,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[AuditOut]:
    """The audit log, newest first (admins)."""
    return [AuditOut(**asdict(e)) for e in audit_events(get_ctx(request), limit, offset)]


@router.post("/users/{user_id}/sessions/end", response_model=Message)
def end_user_sessions(request: Request, user: AdminUser, user_id: PathId) -> Message:
    """Sign a user out everywhere (admins)."""
    done = end_sessions(get_ctx(request), user_id)
    if done is None:
        raise HTTPException(404, "No such user.")
    target, ended = done
    audit(request, "sessions_ended", target=f"user {target.username}", detail=f"{ended} ended")
    return Message(message=f"Signed {target.username} out: {ended} session(s) ended.")
