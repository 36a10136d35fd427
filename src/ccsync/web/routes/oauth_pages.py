"""OAuth Settings, Sign In and its callback, Revoke Access."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from ccsync.store.repos.connectors import get_connector
from ccsync.web import oauth
from ccsync.web.audit import audit
from ccsync.web.deps import AdminConnectorDep, ConnectorDep, CurrentUser, get_ctx, load_connector
from ccsync.web.form_errors import FieldError, by_field, from_pydantic
from ccsync.web.forms import oauth_errors, oauth_form, save_oauth
from ccsync.web.schemas import OAuthSettingsIn
from ccsync.web.settings_form import choice_labels, oauth_fields, options
from ccsync.web.templating import flash, render
from ccsync.web.views import is_configured

router = APIRouter(include_in_schema=False)
FIELDS = oauth_fields()
OAUTH_FIELDS = tuple(f.name for f in FIELDS)
CHOICES = choice_labels(FIELDS)


def _form_parts(form: Any) -> dict[str, Any]:
    """What the template needs beyond the values: the fields, their lists, the saved secret."""
    return {
        "fields": FIELDS,
        "options": options(FIELDS),
        "masks": {"client_secret": form.secret_mask},
    }


@router.get("/connectors/{connector_id}/oauth", response_class=HTMLResponse)
def oauth_page(request: Request, row: AdminConnectorDep) -> Response:
    """The OAuth Settings form (admins)."""
    form = oauth_form(get_ctx(request), row)
    return render(
        request,
        "oauth_settings.html",
        c=row,
        form=form,
        redirect_uri=form.redirect_uri,
        errors=[],
        **_form_parts(form),
    )


def _oauth_input(form: Any, has_secret: bool) -> tuple[OAuthSettingsIn, list[FieldError]]:
    """The posted OAuth Settings and what is wrong with its values on their own (in words, by
    field)."""
    raw = {k: v if isinstance(v := form.get(k, ""), str) else "" for k in OAUTH_FIELDS}
    raw["pkce"] = raw["pkce"] or "auto"
    try:
        return OAuthSettingsIn.model_validate(raw), []
    except ValidationError as exc:
        values: dict[str, Any] = {**raw, "pkce": _pkce(raw["pkce"])}
        data = OAuthSettingsIn.model_construct(None, **values)
        errors = oauth_errors(data, has_secret)
        flagged = {e.field for e in errors}
        more = from_pydantic(exc.errors(), choices=CHOICES)
        return data, errors + [e for e in more if e.field not in flagged]


@router.post("/connectors/{connector_id}/oauth", response_class=HTMLResponse)
async def oauth_save(request: Request, row: AdminConnectorDep) -> Response:
    """Save the OAuth Settings; success goes back to the Sync window with a notification."""
    ctx = get_ctx(request)
    data, errors = _oauth_input(await request.form(), bool(row.client_secret))
    warning = None
    if not errors:
        errors, warning = save_oauth(ctx, row, data)
    if errors:
        form = oauth_form(ctx, row).model_copy(update=data.model_dump(exclude={"client_secret"}))
        return render(
            request,
            "oauth_settings.html",
            status_code=400,
            c=row,
            form=form,
            redirect_uri=form.redirect_uri,
            errors=errors,
            field_errors=by_field(errors),
            **_form_parts(form),
        )
    audit(request, "oauth_settings_saved", target=f"connector {row.id}")
    flash(request, "OAuth settings saved. Click Sign In to authorize Constant Contact.")
    if warning:
        flash(request, warning, "warning")
    return RedirectResponse("/", status_code=303)


def _pkce(value: str) -> Literal["auto", "on", "off"]:
    if value == "on":
        return "on"
    return "off" if value == "off" else "auto"


@router.get("/connectors/{connector_id}/signin")
def sign_in(request: Request, user: CurrentUser, row: ConnectorDep) -> Response:
    """Sign In: off to Constant Contact's login and consent pages (or the settings first)."""
    if not is_configured(row):
        if user.is_admin:
            flash(request, "Enter the OAuth settings of your Constant Contact application first.")
            return RedirectResponse(f"/connectors/{row.id}/oauth", status_code=303)
        flash(request, "An admin must enter the OAuth settings before you can sign in.", "error")
        return RedirectResponse("/", status_code=303)
    url = oauth.begin(get_ctx(request), row, request.session)
    return RedirectResponse(url, status_code=303)


@router.get(oauth.CALLBACK_PATH)
def callback(
    request: Request,
    user: CurrentUser,
    state: str = "",
    code: str = "",
    error: str = "",
    error_description: str = "",
) -> Response:
    """Where Constant Contact sends the browser back after Allow Access or Deny."""
    saved = oauth.pending(request.session, state)
    if saved is None:
        flash(
            request,
            "Sign-in failed: the answer did not match a sign-in started here "
            "(state mismatch or expired). Click Sign In again.",
            "error",
        )
        return RedirectResponse("/", status_code=303)
    row = load_connector(request, int(saved["connector_id"]), user)
    if error or not code:
        why = error_description or error or "no authorization code came back"
        reason = "you denied access" if error == "access_denied" else why
        flash(request, f"Constant Contact was not connected: {reason}.", "error")
        return RedirectResponse("/", status_code=303)
    ctx = get_ctx(request)
    outcome = oauth.finish(ctx, row, code, saved.get("verifier"))
    audit(
        request,
        "cc_signed_in" if outcome.ok else "cc_sign_in_failed",
        target=f"connector {row.id}",
        detail=outcome.message,
    )
    flash(request, outcome.message, "success" if outcome.ok else "error")
    ctx.backend.reload()
    return RedirectResponse("/", status_code=303)


@router.get("/connectors/{connector_id}/revoke", response_class=HTMLResponse)
def revoke_page(request: Request, row: ConnectorDep) -> Response:
    """Revoke Access: the confirmation."""
    return render(request, "revoke.html", c=row)


@router.post("/connectors/{connector_id}/revoke")
def revoke(request: Request, row: ConnectorDep) -> Response:
    """Revoke at the provider (best effort), delete the tokens, stop syncing."""
    ctx = get_ctx(request)
    message = oauth.revoke_access(ctx, row)
    ctx.backend.reload()
    audit(request, "access_revoked", target=f"connector {row.id}", detail=message)
    with ctx.sessions() as session:
        fresh = get_connector(session, row.id)
    ok = message.startswith("Access revoked")
    flash(request, message, "success" if ok else "warning")
    return RedirectResponse(f"/connectors/{fresh.id if fresh else row.id}/log", status_code=303)
