"""JSON API: the user, connectors, OAuth and Sync Settings, Sync Now, Sign In, Revoke."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from ccsync.store.repos.connectors import create_connector, get_connector, get_connector_by_name
from ccsync.store.repos.users import get_user
from ccsync.store.writable import write_problem
from ccsync.web import oauth
from ccsync.web.audit import audit
from ccsync.web.deps import AdminConnectorDep, AdminUser, ConnectorDep, CurrentUser, get_ctx
from ccsync.web.form_errors import texts
from ccsync.web.forms import oauth_form, save_oauth, save_sync, sync_form
from ccsync.web.routes.api_common import ERRORS, connector_out
from ccsync.web.schemas import (
    ConnectorIn,
    ConnectorOut,
    EnqueueOut,
    Message,
    OAuthSettingsIn,
    OAuthSettingsOut,
    SyncSettingsIn,
    SyncSettingsOut,
    SyncStatusOut,
    UserOut,
)
from ccsync.web.service import connector_views, one_view, visible_connectors
from ccsync.web.views import is_configured

router = APIRouter(tags=["connectors"], responses=ERRORS)


class SignInOut(BaseModel):
    """Where to send the browser to sign in to Constant Contact."""

    authorization_url: str


@router.get("/me", response_model=UserOut)
def me(user: CurrentUser) -> UserOut:
    """The signed-in user."""
    return UserOut(id=user.id, username=user.username, role=user.role, time_zone=user.time_zone)


@router.get("/connectors", response_model=list[ConnectorOut])
def connectors(request: Request, user: CurrentUser) -> list[ConnectorOut]:
    """The connectors this user sees (admins: all)."""
    ctx = get_ctx(request)
    return [connector_out(v) for v in connector_views(ctx, user, visible_connectors(ctx, user))]


@router.post("/connectors", response_model=ConnectorOut, status_code=201)
def add_connector(request: Request, user: AdminUser, body: ConnectorIn) -> ConnectorOut:
    """Add a Constant Contact connector for ``owner_id`` (admins)."""
    ctx = get_ctx(request)
    name = body.name.strip()
    with ctx.sessions.begin() as session:
        if not name:
            raise HTTPException(400, "The name is empty.")
        if get_connector_by_name(session, name) is not None:
            raise HTTPException(409, f"A connector called {name!r} exists already.")
        if get_user(session, body.owner_id) is None:
            raise HTTPException(404, "No such owner.")
        row = create_connector(session, name, body.owner_id)
    audit(request, "connector_added", target=f"connector {row.id}", detail=name)
    return connector_out(one_view(ctx, user, row))


@router.get("/connectors/{connector_id}", response_model=ConnectorOut)
def connector(request: Request, user: CurrentUser, row: ConnectorDep) -> ConnectorOut:
    """One connector's line of the Sync window."""
    return connector_out(one_view(get_ctx(request), user, row))


@router.get("/connectors/{connector_id}/status", response_model=SyncStatusOut)
def status(request: Request, user: CurrentUser, row: ConnectorDep) -> SyncStatusOut:
    """The live progress of the connector's run."""
    v = one_view(get_ctx(request), user, row)
    return SyncStatusOut(
        state=v.state, state_label=v.state_label, running=v.running, pending=v.pending,
        stage=v.stage, done=v.done, total=v.total, message=v.message,
    )  # fmt: skip


@router.post("/connectors/{connector_id}/sync", response_model=EnqueueOut, status_code=202)
def sync_now(request: Request, row: ConnectorDep) -> EnqueueOut:
    """Sync Now: start a run, or queue at most one more while one is going (503 when the
    database cannot be written)."""
    ctx = get_ctx(request)
    problem = write_problem(ctx.engine)
    if problem:
        raise HTTPException(503, problem)
    result = ctx.backend.enqueue_sync(row.id, "manual")
    return EnqueueOut(status=result.status, message=result.message)


@router.get("/connectors/{connector_id}/oauth", response_model=OAuthSettingsOut)
def get_oauth(request: Request, row: AdminConnectorDep) -> OAuthSettingsOut:
    """The OAuth application settings (secret masked; admins)."""
    return oauth_form(get_ctx(request), row)


@router.put("/connectors/{connector_id}/oauth", response_model=Message)
def put_oauth(request: Request, row: AdminConnectorDep, body: OAuthSettingsIn) -> Message:
    """Save the OAuth application settings (admins); warns without ``offline_access``."""
    errors, warning = save_oauth(get_ctx(request), row, body)
    if errors:
        raise HTTPException(400, texts(errors))
    audit(request, "oauth_settings_saved", target=f"connector {row.id}")
    return Message(message=warning or "OAuth settings saved.")


@router.get("/connectors/{connector_id}/signin", response_model=SignInOut)
def sign_in(request: Request, row: ConnectorDep) -> SignInOut:
    """Start Sign In: the URL of CC's login page (state and PKCE are kept in the session)."""
    if not is_configured(row):
        raise HTTPException(400, "The OAuth settings are not filled in.")
    return SignInOut(authorization_url=oauth.begin(get_ctx(request), row, request.session))


@router.post("/connectors/{connector_id}/revoke", response_model=Message)
def revoke(request: Request, row: ConnectorDep) -> Message:
    """Revoke Access (best effort at the provider; always deletes the tokens here)."""
    ctx = get_ctx(request)
    text = oauth.revoke_access(ctx, row)
    ctx.backend.reload()
    audit(request, "access_revoked", target=f"connector {row.id}", detail=text)
    return Message(ok=text.startswith("Access revoked"), message=text)


@router.get("/connectors/{connector_id}/settings", response_model=SyncSettingsOut)
def get_settings(request: Request, row: AdminConnectorDep) -> SyncSettingsOut:
    """Sync Settings with the mapping and the API budget (admins)."""
    return sync_form(get_ctx(request), row)


@router.put("/connectors/{connector_id}/settings", response_model=SyncSettingsOut)
def put_settings(request: Request, row: AdminConnectorDep, body: SyncSettingsIn) -> SyncSettingsOut:
    """Save Sync Settings (admins); 400 names the highest frequency that fits the budget."""
    ctx = get_ctx(request)
    errors = save_sync(ctx, row, body)
    if errors:
        raise HTTPException(400, texts(errors))
    audit(request, "sync_settings_saved", target=f"connector {row.id}")
    with ctx.sessions() as session:
        fresh = get_connector(session, row.id)
    return sync_form(ctx, fresh or row)
