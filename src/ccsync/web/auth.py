"""Local accounts for the web app: the first admin, sign-in and password rules."""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session, sessionmaker

from ccsync.store.repos.rows import UserRow
from ccsync.store.repos.users import (
    authenticate,
    change_password,
    count_users,
    create_user,
    get_user,
    set_time_zone,
)

FIRST_ADMIN = "admin"
MIN_PASSWORD = 10


def ensure_first_admin(sessions: sessionmaker[Session]) -> tuple[str, str] | None:
    """Create the first admin with a random password when there is no account at all.

    Returns:
        ``(username, password)`` to print once, or None when accounts exist already. The
        password must be changed at the first sign-in.
    """
    with sessions.begin() as session:
        if count_users(session):
            return None
        password = secrets.token_urlsafe(12)
        create_user(session, FIRST_ADMIN, password, role="admin", must_change_password=True)
    return FIRST_ADMIN, password


def sign_in(
    sessions: sessionmaker[Session], username: str, password: str, browser_zone: str = ""
) -> UserRow | None:
    """The user if the password is right; adopts the browser's time zone while still UTC."""
    with sessions.begin() as session:
        user = authenticate(session, username.strip(), password)
        if user is not None and user.time_zone == "UTC" and browser_zone not in ("", "UTC"):
            try:
                set_time_zone(session, user.id, browser_zone)
            except ValueError:
                return user
            return get_user(session, user.id) or user
        return user


def password_problem(current_ok: bool, new: str, confirm: str) -> str | None:
    """Why a password change is refused, or None when it is fine."""
    if not current_ok:
        return "The current password is wrong."
    if len(new) < MIN_PASSWORD:
        return f"The new password needs at least {MIN_PASSWORD} characters."
    if new != confirm:
        return "The two new passwords differ."
    return None


def set_new_password(
    sessions: sessionmaker[Session], user: UserRow, current: str, new: str, confirm: str
) -> str | None:
    """Change ``user``'s password; returns the refusal reason, or None on success."""
    with sessions.begin() as session:
        ok = authenticate(session, user.username, current) is not None
        problem = password_problem(ok, new, confirm)
        if problem is None and new == current:
            problem = "Choose a password different from the current one."
        if problem is None:
            change_password(session, user.id, new)
    return problem
