"""Sign-in, sign-out, the first password change and the profile (time zone)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Annotated
from zoneinfo import available_timezones

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError

from ccsync.store.repos.rows import UserRow
from ccsync.store.repos.users import set_time_zone
from ccsync.store.repos.websessions import end_session, end_user_sessions, start_session
from ccsync.web.audit import audit, client_address
from ccsync.web.auth import set_new_password, sign_in
from ccsync.web.csrf import csrf_cookie, new_csrf_token
from ccsync.web.deps import (
    SESSION_CSRF,
    SESSION_TOKEN,
    CurrentUser,
    get_ctx,
    signed_in_user,
)
from ccsync.web.templating import flash, render
from ccsync.web.throttle import HashingBusy

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)
ZONES = sorted(available_timezones())


def _safe_next(target: str) -> str:
    # Only local paths: an open redirect would let a link send a user elsewhere after sign-in.
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    """The sign-in form."""
    return render(request, "login.html", next_url=_safe_next(next), username="", error="")


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=500)],
    next: Annotated[str, Form(max_length=500)] = "/",
    timezone: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Check the password (throttled) and start a server-side session."""
    ctx = get_ctx(request)
    keys = [f"user:{username.strip().casefold()}", f"addr:{client_address(request)}"]

    def refuse(status: int, error: str, retry_after: int) -> Response:
        page = render(
            request,
            "login.html",
            status_code=status,
            next_url=_safe_next(next),
            username=username,
            error=error,
        )
        page.headers["retry-after"] = str(retry_after)
        return page

    wait = ctx.throttle.wait_s(keys)
    if wait:
        return refuse(429, f"Too many failed sign-ins. Wait {wait} seconds, then try again.", wait)
    try:
        with ctx.hashing.slot():
            user = sign_in(ctx.sessions, username, password, timezone)
    except HashingBusy:
        return refuse(503, "The server is busy with other sign-ins. Try again in a moment.", 1)
    if user is None:
        ctx.throttle.failed(keys)
        audit(request, "login_failed", actor=username.strip()[:200])
        return render(
            request,
            "login.html",
            status_code=401,
            next_url=_safe_next(next),
            username=username,
            error="Wrong user name or password.",
        )
    ctx.throttle.succeeded(keys)
    lifetime = timedelta(hours=ctx.settings.session_lifetime_hours)
    with ctx.sessions.begin() as session:
        token = start_session(session, user.id, lifetime=lifetime, client=client_address(request))
    audit(request, "login", user=user)
    target = "/password" if user.must_change_password else _safe_next(next)
    return _signed_in(request, token, RedirectResponse(target, status_code=303))


def _signed_in(request: Request, token: str, response: Response) -> Response:
    """Put the session token and a fresh CSRF token (tied to it) into the browser."""
    ctx = get_ctx(request)
    csrf = new_csrf_token(ctx.settings.session_secret.get_secret_value())
    request.session.clear()
    request.session[SESSION_TOKEN] = token
    request.session[SESSION_CSRF] = csrf
    response.set_cookie(**csrf_cookie(csrf, secure=ctx.settings.base_url.startswith("https://")))
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    """End the session here and in the store (the old cookie stops working)."""
    token = request.session.get(SESSION_TOKEN)
    if isinstance(token, str):
        try:
            with get_ctx(request).sessions.begin() as session:
                end_session(session, token)
        except SQLAlchemyError:  # a read-only database: the cookie is dropped all the same
            log.warning("could not end the session in the store (database not writable)")
        audit(request, "logout")
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/password", response_class=HTMLResponse)
def password_page(request: Request, user: Annotated[UserRow, Depends(signed_in_user)]) -> Response:
    """The password form (forced after the first sign-in)."""
    return render(request, "change_password.html", forced=user.must_change_password, error="")


@router.post("/password", response_class=HTMLResponse)
def password_change(
    request: Request,
    user: Annotated[UserRow, Depends(signed_in_user)],
    current: Annotated[str, Form(max_length=500)],
    new: Annotated[str, Form(max_length=500)],
    confirm: Annotated[str, Form(max_length=500)],
) -> Response:
    """Store a new password; every other session of the user ends."""
    ctx = get_ctx(request)
    try:
        with ctx.hashing.slot():
            problem = set_new_password(ctx.sessions, user, current, new, confirm)
    except HashingBusy:
        problem = "The server is busy with other sign-ins. Try again in a moment."
    if problem:
        return render(
            request,
            "change_password.html",
            status_code=400,
            forced=user.must_change_password,
            error=problem,
        )
    with ctx.sessions.begin() as session:
        ended = end_user_sessions(session, user.id)
        lifetime = timedelta(hours=ctx.settings.session_lifetime_hours)
        token = start_session(session, user.id, lifetime=lifetime, client=client_address(request))
    audit(request, "password_changed", detail=f"{ended} session(s) ended")
    response = _signed_in(request, token, RedirectResponse("/", status_code=303))
    flash(request, "Your password was changed. Your other sessions were signed out.")
    return response


@router.get("/profile", response_class=HTMLResponse)
def profile_page(request: Request, user: CurrentUser) -> Response:
    """Profile: the time zone the Sync Log uses."""
    return render(request, "profile.html", zones=ZONES)


@router.post("/profile")
def profile_save(
    request: Request, user: CurrentUser, timezone: Annotated[str, Form(max_length=64)]
) -> Response:
    """Save the time zone."""
    try:
        with get_ctx(request).sessions.begin() as session:
            set_time_zone(session, user.id, timezone.strip())
    except ValueError:
        flash(request, f"Unknown time zone: {timezone!r}.", "error")
        return RedirectResponse("/profile", status_code=303)
    flash(request, f"Time zone saved: {timezone.strip()}.")
    return RedirectResponse("/profile", status_code=303)
