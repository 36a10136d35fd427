"""Local accounts: scrypt password hashes, roles, time zones."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ccsync.errors import AlreadyExists, InvalidRequest, NotFound
from ccsync.store.models import User
from ccsync.store.repos._convert import to_row
from ccsync.store.repos.rows import UserRow

ROLES = ("admin", "user")
# scrypt cost: N=2^15, r=8 takes 32 MiB and ~50 ms a check — slow for guessing, fine for logins.
_N, _R, _P = 2**15, 8, 1
_MAXMEM = 64 * 1024 * 1024


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def hash_password(password: str) -> str:
    """An scrypt hash with a random salt, as ``scrypt$N$r$p$salt$hash`` (base64 parts)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, maxmem=_MAXMEM)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches the ``stored`` hash (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_MAXMEM,
            dklen=len(expected),
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidRequest(f"role must be one of {', '.join(ROLES)}")


def check_time_zone(name: str) -> str:
    """Return ``name`` if it is a known IANA time zone.

    Raises:
        InvalidRequest: unknown zone.
    """
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRequest(f"unknown time zone {name!r}") from None
    return name


def create_user(
    session: Session,
    username: str,
    password: str,
    *,
    role: str = "user",
    time_zone: str = "UTC",
    must_change_password: bool = False,
) -> UserRow:
    """Create an account.

    Args:
        session: an open session (the caller commits).
        username: unique login name.
        password: the clear-text password (only its hash is stored).
        role: ``"admin"`` or ``"user"``.
        time_zone: IANA zone the UI shows times in.
        must_change_password: force a change at the next login (first admin).

    Returns:
        The new user.

    Raises:
        AlreadyExists: the name is taken.
        InvalidRequest: bad role or time zone.
    """
    _check_role(role)
    check_time_zone(time_zone)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AlreadyExists(f"user {username!r} exists already")
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        time_zone=time_zone,
        must_change_password=must_change_password,
    )
    session.add(user)
    session.flush()
    return to_row(UserRow, user)


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def get_user(session: Session, user_id: int) -> UserRow | None:
    """The user with ``user_id``, or None."""
    user = session.get(User, user_id)
    return None if user is None else to_row(UserRow, user)


def get_user_by_name(session: Session, username: str) -> UserRow | None:
    """The user called ``username``, or None."""
    user = session.scalar(select(User).where(User.username == username))
    return None if user is None else to_row(UserRow, user)


def list_users(session: Session) -> list[UserRow]:
    """Every account, by name."""
    return [to_row(UserRow, u) for u in session.scalars(select(User).order_by(User.username))]


def count_users(session: Session) -> int:
    """How many accounts exist (0 on first start)."""
    return int(session.scalar(select(func.count()).select_from(User)) or 0)


def authenticate(session: Session, username: str, password: str) -> UserRow | None:
    """The user if ``password`` is right, else None (also for unknown names).

    An unknown name still costs one hash, so timing does not reveal which names exist.
    """
    user = session.scalar(select(User).where(User.username == username))
    stored = user.password_hash if user is not None else _dummy_hash()
    if not check_password(password, stored) or user is None:
        return None
    return to_row(UserRow, user)


def change_password(
    session: Session, user_id: int, new_password: str, *, must_change: bool = False
) -> None:
    """Store a new password hash (and whether it must be changed again at next login).

    Raises:
        NotFound: no such user.
    """
    user = _user(session, user_id)
    user.password_hash = hash_password(new_password)
    user.must_change_password = must_change


def set_time_zone(session: Session, user_id: int, time_zone: str) -> None:
    """Set the zone the UI shows times in.

    Raises:
        InvalidRequest: unknown zone.
        NotFound: no such user.
    """
    _user(session, user_id).time_zone = check_time_zone(time_zone)


def set_role(session: Session, user_id: int, role: str) -> None:
    """Make the user an admin or a standard user.

    Raises:
        InvalidRequest: unknown role.
        NotFound: no such user.
    """
    _check_role(role)
    _user(session, user_id).role = role


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))
