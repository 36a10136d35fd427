"""Admin pages: accounts with their sessions (end them) and the audit log."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ccsync.web.admin import audit_events, end_sessions, users_with_sessions
from ccsync.web.audit import audit
from ccsync.web.deps import AdminUser, PathId, get_ctx
from ccsync.web.templating import flash, local_time, render

router = APIRouter(include_in_schema=False)
PAGE = 200


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, user: AdminUser) -> Response:
    """Accounts and how many sessions each has open."""
    return render(request, "admin_users.html", rows=users_with_sessions(get_ctx(request)))


@router.post("/admin/users/{user_id}/sessions/end")
def end_user_sessions(request: Request, user: AdminUser, user_id: PathId) -> Response:
    """Sign the user out everywhere (their next request goes to the sign-in page)."""
    done = end_sessions(get_ctx(request), user_id)
    if done is None:
        raise HTTPException(404, "No such user.")
    target, ended = done
    audit(request, "sessions_ended", target=f"user {target.username}", detail=f"{ended} ended")
    flash(request, f"Signed {target.username} out: {ended} session(s) ended.")
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(
    request: Request, user: AdminUser, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0
) -> Response:
    """The audit log, newest first."""
    events = [
        {**asdict(e), "at": local_time(e.at, user.time_zone, "%Y-%m-%d %H:%M:%S")}
        for e in audit_events(get_ctx(request), PAGE, offset)
    ]
    return render(
        request, "admin_audit.html", events=events, offset=offset, page=PAGE, zone=user.time_zone
    )
