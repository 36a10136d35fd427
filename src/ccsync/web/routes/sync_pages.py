"""The Sync window: connectors with their state, Sync Now with live progress, adding one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ccsync.store.repos.connectors import create_connector, get_connector_by_name
from ccsync.store.repos.users import get_user, list_users
from ccsync.store.writable import write_problem
from ccsync.web.audit import audit
from ccsync.web.deps import AdminUser, ConnectorDep, CurrentUser, get_ctx
from ccsync.web.form_errors import FieldError, by_field
from ccsync.web.preview import first_run_banner
from ccsync.web.security import origin_of
from ccsync.web.service import connector_views, one_view, visible_connectors
from ccsync.web.templating import flash, render

MAX_NAME = 100
MAX_FORM_TEXT = 10_000  # longer is a crafted request: refused before the route, in words
router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def sync_window(request: Request, user: CurrentUser) -> Response:
    """The Sync window: "User level Connectors" with Sign In, Settings, Sync Log, Sync Now."""
    ctx = get_ctx(request)
    views = connector_views(ctx, user, visible_connectors(ctx, user))
    banners = {c.id: first_run_banner(ctx, c.id) for c in views}
    return render(request, "sync_window.html", connectors=views, banners=banners)


@router.get("/connectors/{connector_id}/status", response_class=HTMLResponse)
def status_fragment(request: Request, user: CurrentUser, row: ConnectorDep) -> Response:
    """The live part of a connector (htmx polls it: every 2 s while a run is going, every 10 s
    while none is)."""
    ctx = get_ctx(request)
    c = one_view(ctx, user, row)
    return render(request, "partials/status.html", c=c, banner=first_run_banner(ctx, row.id))


@router.post("/connectors/{connector_id}/sync", response_class=HTMLResponse)
def sync_now(request: Request, user: CurrentUser, row: ConnectorDep) -> Response:
    """Sync Now: start a run, or queue at most one more while one is going.

    A database that cannot be written is said at once (the run could not record anything).
    """
    ctx = get_ctx(request)
    problem = write_problem(ctx.engine)
    message = problem or ctx.backend.enqueue_sync(row.id, "manual").message
    if request.headers.get("hx-request"):
        c = one_view(ctx, user, row)
        return render(
            request,
            "partials/status.html",
            c=c,
            banner=first_run_banner(ctx, row.id),
            notice=message,
            notice_kind="error" if problem else "info",
        )
    flash(request, message, "error" if problem else "info")
    return RedirectResponse(_back(request), status_code=303)


def _back(request: Request) -> str:
    """The page the form was on, when that is a page of this app; else the Sync window."""
    referer = request.headers.get("referer", "")
    own = {origin_of(str(request.base_url)), origin_of(get_ctx(request).settings.base_url)}
    if origin_of(referer) not in own:
        return "/"
    path = referer[len(origin_of(referer)) :]
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


@router.get("/connectors/available", response_class=HTMLResponse)
def available(request: Request, user: AdminUser) -> Response:
    """View available connectors: add Constant Contact for a user."""
    with get_ctx(request).sessions() as session:
        users = list_users(session)
    form = {"name": "", "owner_id": user.id}
    return render(request, "available.html", users=users, form=form, errors=[])


@router.post("/connectors", response_class=HTMLResponse)
def add_connector(
    request: Request,
    user: AdminUser,
    name: Annotated[str, Form(max_length=MAX_FORM_TEXT)],
    owner_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
) -> Response:
    """Create a connector; its OAuth settings come next."""
    ctx = get_ctx(request)
    name = name.strip()
    with ctx.sessions.begin() as session:
        problem = _add_problem(session, name, owner_id)
        if problem is None:
            row = create_connector(session, name, owner_id)
    if problem is not None:
        with ctx.sessions() as session:
            users = list_users(session)
        form = {"name": name, "owner_id": owner_id}
        return render(
            request,
            "available.html",
            status_code=400,
            users=users,
            form=form,
            errors=[problem],
            field_errors=by_field([problem]),
        )
    audit(request, "connector_added", target=f"connector {row.id}", detail=name)
    flash(request, f"Connector {name!r} added. Fill in its OAuth settings.")
    return RedirectResponse(f"/connectors/{row.id}/oauth", status_code=303)


def _add_problem(session: Session, name: str, owner_id: int) -> FieldError | None:
    if not name:
        return FieldError("name", "Give the connector a name.")
    if len(name) > MAX_NAME:
        return FieldError("name", f"The name is too long (at most {MAX_NAME} characters).")
    if get_connector_by_name(session, name) is not None:
        return FieldError("name", "A connector with this name exists already: choose another.")
    if get_user(session, owner_id) is None:
        return FieldError("owner", "Choose an existing user as the owner.")
    return None
