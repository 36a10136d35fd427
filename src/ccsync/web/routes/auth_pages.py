"""Sign-in, sign-out, the first password change and the profile (time zone)."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import available_timezones

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ccsync.store.repos.rows import UserRow
from ccsync.store.repos.users import set_time_zone
from ccsync.web.auth import set_new_password, sign_in
from ccsync.web.deps import SESSION_USER, CurrentUser, get_ctx, signed_in_user
from ccsync.web.templating import flash, render

router = APIRouter(include_in_schema=False)
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
    """Check the password and start a signed session."""
    user = sign_in(get_ctx(request).sessions, username, password, timezone)
    if user is None:
        return render(
            request,
            "login.html",
            status_code=401,
            next_url=_safe_next(next),
            username=username,
            error="Wrong user name or password.",
        )
    request.session.clear()
    request.session[SESSION_USER] = user.id
    target = "/password" if user.must_change_password else _safe_next(next)
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    """End the session."""
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
    """Store a new password."""
    problem = set_new_password(get_ctx(request).sessions, user, current, new, confirm)
    if problem:
        return render(
            request,
            "change_password.html",
            status_code=400,
            forced=user.must_change_password,
            error=problem,
        )
    flash(request, "Your password was changed.")
    return RedirectResponse("/", status_code=303)


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
