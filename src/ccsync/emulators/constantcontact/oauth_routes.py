"""``/oauth2/default/v1/*``: authorize pages (login, consent), token and revoke endpoints."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from ccsync.emulators.constantcontact import oauth, pages
from ccsync.emulators.constantcontact.oauth import OAuthError
from ccsync.emulators.constantcontact.runtime import runtime
from ccsync.emulators.constantcontact.state import EmulatorState, Record

router = APIRouter(prefix="/oauth2/default/v1")
PENDING_TTL = 1800
DENIED = "The resource owner or authorization server denied the request."


def _redirect(uri: str, params: dict[str, str]) -> RedirectResponse:
    joiner = "&" if "?" in uri else "?"
    return RedirectResponse(f"{uri}{joiner}{urlencode(params)}", status_code=302)


def _error_redirect(request: Record, error: str, description: str) -> RedirectResponse:
    params = {"error": error, "error_description": description}
    if request.get("state"):
        params["state"] = request["state"]
    return _redirect(request["redirect_uri"], params)


@router.get("/authorize")
def authorize(request: Request) -> Response:
    """Check the request, then show the login page (or approve at once with auto-approve)."""
    state = runtime(request).state
    params = dict(request.query_params)
    config = state.config
    if params.get("client_id") != config.client_id:
        return pages.error_page("The client_id is not known to this authorization server.")
    if params.get("redirect_uri") not in config.redirect_uris:
        return pages.error_page("The redirect_uri is not registered for this application.")
    problem = _authorize_problem(state, params)
    if problem is not None:
        return _error_redirect(params, *problem)
    with state.lock:
        if config.auto_approve:
            code = oauth.new_code(state, params, 1)
            return _approved(params, code)
        request_id = secrets.token_urlsafe(16)
        keep = ("client_id", "redirect_uri", "scope", "state", "code_challenge")
        pending: Record = {k: params.get(k, "") for k in keep}
        pending["expires"] = state.clock.time() + PENDING_TTL
        state.oauth["pending"][request_id] = pending
    return pages.login_page(request_id, None, _demo_logins(state))


def _authorize_problem(state: EmulatorState, params: dict[str, str]) -> tuple[str, str] | None:
    if params.get("response_type") != "code":
        return ("unsupported_response_type", "The response type is not supported.")
    try:
        oauth.check_scope(params.get("scope", ""))
    except OAuthError as exc:
        return (exc.error, exc.description)
    challenge = params.get("code_challenge")
    pkce = state.config.pkce
    if challenge and pkce == "rejected":
        return ("invalid_request", "PKCE is not allowed for this application.")
    if not challenge and pkce == "required":
        return (
            "invalid_request",
            "PKCE code challenge is required when the token endpoint "
            "authentication method is 'NONE'.",
        )
    if challenge and params.get("code_challenge_method") != "S256":
        return ("invalid_request", "The code_challenge_method must be S256.")
    return None


def _approved(params: dict[str, Any], code: str) -> RedirectResponse:
    out = {"code": code, "scope": str(params["scope"])}
    if params.get("state"):
        out["state"] = str(params["state"])
    return _redirect(str(params["redirect_uri"]), out)


def _pending(state: EmulatorState, request_id: str) -> Record | None:
    pending = state.oauth["pending"].get(request_id)
    if pending is None or float(pending["expires"]) <= state.clock.time():
        return None
    return pending


@router.post("/authorize/login")
async def login(request: Request) -> Response:
    """The login form: on success show the consent page for that account."""
    form = await request.form()
    state = runtime(request).state
    request_id = str(form.get("request_id") or "")
    with state.lock:
        pending = _pending(state, request_id)
        if pending is None:
            return pages.error_page("This sign-in request expired. Start again from the app.")
        account = _account_for(
            state, str(form.get("username") or ""), str(form.get("password") or "")
        )
        if account is None:
            return pages.login_page(
                request_id, "Sign-in failed: wrong username or password.", _demo_logins(state)
            )
        pending["account"] = account
        owner = state.accounts[account]
        return pages.consent_page(
            request_id, owner.login, str(pending["scope"]), f"Emulated Account {owner.number}"
        )


def _demo_logins(state: EmulatorState) -> list[tuple[str, str]]:
    """Every account's login and password, shown on the emulator's login page."""
    return [(a.login, a.password) for a in state.accounts.values()]


def _account_for(state: EmulatorState, login: str, password: str) -> int | None:
    for account in state.accounts.values():
        same_login = account.login.lower() == login.strip().lower()
        if same_login and hmac.compare_digest(account.password, password):
            return account.number
    return None


@router.post("/authorize/consent")
async def consent(request: Request) -> Response:
    """Allow Access → redirect with ``code`` and ``state``; Deny → ``error=access_denied``."""
    form = await request.form()
    state = runtime(request).state
    with state.lock:
        pending = _pending(state, str(form.get("request_id") or ""))
        if pending is None or "account" not in pending:
            return pages.error_page("This sign-in request expired. Start again from the app.")
        state.oauth["pending"].pop(str(form.get("request_id")), None)
        if form.get("decision") != "allow":
            return _error_redirect(pending, "access_denied", DENIED)
        code = oauth.new_code(state, pending, int(pending["account"]))
    return _approved(pending, code)


def _client(request: Request, form: dict[str, str]) -> tuple[str, str | None]:
    """Client id and secret from HTTP Basic, else from the form (secret ``None`` = public)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
            client_id, secret = decoded.split(":", 1)
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise OAuthError("invalid_client", "Client authentication failed.", 401) from exc
        return client_id, secret
    client_id = form.get("client_id", "")
    if not client_id:
        raise OAuthError("invalid_client", "Client authentication failed.", 401)
    return client_id, form.get("client_secret")


async def _form(request: Request) -> dict[str, str]:
    """Form body merged over query parameters (CC support shows both styles)."""
    merged = dict(request.query_params)
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = await request.form()
        merged.update({k: str(v) for k, v in form.items()})
    return merged


@router.post("/token")
async def token(request: Request) -> JSONResponse:
    """Authorization-code and refresh-token grants, 1 request per second per client."""
    rt = runtime(request)
    form = await _form(request)
    try:
        client_id, secret = _client(request, form)
        if not rt.token_window.admit(client_id):
            body = {"error": "too_many_requests", "error_description": "Too Many Requests"}
            return JSONResponse(body, status_code=429)
        with rt.state.lock:
            oauth.check_client(rt.state, client_id, secret)
            tokens = _grant(rt.state, form, client_id, secret is None)
    except OAuthError as exc:
        return JSONResponse(exc.body(), status_code=exc.status, headers=_no_store())
    return JSONResponse(tokens, headers=_no_store())


def _grant(state: EmulatorState, form: dict[str, str], client_id: str, public: bool) -> Record:
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        return oauth.redeem_code(state, form, client_id, public)
    if grant_type == "refresh_token":
        return _refresh(state, form, client_id, public)
    if not grant_type:
        raise OAuthError("invalid_request", "The grant_type parameter is required.")
    raise OAuthError("unsupported_grant_type", f"'{grant_type[:40]}' is not a supported grant.")


def _refresh(state: EmulatorState, form: dict[str, str], client_id: str, public: bool) -> Record:
    token_value = form.get("refresh_token", "")
    record = state.oauth["refresh"].get(token_value)
    grant = state.oauth["grants"].get(str(record["grant_id"])) if record else None
    if public and grant is not None and not grant["public"]:
        raise OAuthError("invalid_client", "Client authentication failed.", 401)
    return oauth.refresh(state, token_value, client_id)


def _no_store() -> dict[str, str]:
    return {"Cache-Control": "no-store", "Pragma": "no-cache"}


@router.post("/revoke")
async def revoke(request: Request) -> Response:
    """RFC 7009: 200 for every well-formed request from an authenticated client."""
    state = runtime(request).state
    form = await _form(request)
    try:
        client_id, secret = _client(request, form)
        with state.lock:
            oauth.check_client(state, client_id, secret)
            if not form.get("token"):
                raise OAuthError("invalid_request", "The token parameter is required.")
            oauth.revoke(state, form["token"])
    except OAuthError as exc:
        return JSONResponse(exc.body(), status_code=exc.status)
    return Response(status_code=200)
