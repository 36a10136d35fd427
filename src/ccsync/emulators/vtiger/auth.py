"""getchallenge, login and sessions (one live challenge per user, sessions die when idle)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from ccsync.emulators.vtiger.errors import VtigerError
from ccsync.emulators.vtiger.state import Challenge, Session, Store, User

TOKEN_LIFETIME = 300.0
API_VERSION = "0.22"
VTIGER_VERSION = "8.2.0"


def getchallenge(store: Store, username: str | None) -> dict[str, object]:
    """Issue a token; it replaces (kills) the user's previous one."""
    if not username:
        raise VtigerError("ACCESS_DENIED", "No username given")
    if username not in store.users:
        raise VtigerError("ACCESS_DENIED", "username does not exists")
    now = store.clock.time()
    challenge = Challenge(secrets.token_hex(7)[:13], now + TOKEN_LIFETIME)
    store.challenges[username] = challenge
    store.dirty.set()
    return {"token": challenge.token, "serverTime": int(now), "expireTime": int(challenge.expires)}


def login(store: Store, username: str | None, access_key: str | None) -> dict[str, object]:
    """Check ``md5(token + accessKey)`` and open a session (the token stays usable)."""
    challenge = store.challenges.get(username or "")
    if challenge is None or challenge.expires < store.clock.time():
        raise VtigerError("INVALID_AUTH_TOKEN", "Specified token is invalid or expired")
    user = store.users[username or ""]
    expected = hashlib.md5((challenge.token + user.access_key).encode()).hexdigest()
    if not hmac.compare_digest(expected, (access_key or "").lower()):
        raise VtigerError("INVALID_USER_CREDENTIALS", "Invalid username or password")
    session_name = secrets.token_hex(13)
    store.sessions[session_name] = Session(user.name, store.clock.time())
    store.dirty.set()
    return login_result(user, session_name)


def login_result(user: User, session_name: str) -> dict[str, object]:
    """The login result fields of Vtiger 8.2 (``is_admin`` is "on" or "")."""
    return {
        "username": user.name,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "time_zone": "UTC",
        "hour_format": "12",
        "date_format": "yyyy-mm-dd",
        "is_admin": "on" if user.is_admin else "",
        "call_duration": "5",
        "other_event_duration": "5",
        "sessionName": session_name,
        "userId": user.ws_id,
        "version": API_VERSION,
        "vtigerVersion": VTIGER_VERSION,
    }


def session_user(store: Store, session_name: str | None, idle_limit: float) -> User:
    """The user of a live session; an idle session is garbage-collected first."""
    if not session_name:
        raise VtigerError("AUTHENTICATION_REQUIRED", "Authencation required")
    session = store.sessions.get(session_name)
    now = store.clock.time()
    if session is not None and now - session.last_used > idle_limit:
        del store.sessions[session_name]
        session = None
    if session is None or session.user not in store.users:
        raise VtigerError("INVALID_SESSIONID", "Session Identifier provided is Invalid")
    session.last_used = now
    return store.users[session.user]


def expire_sessions(store: Store, username: str | None = None) -> int:
    """Drop every session (of one user, if given); returns how many were dropped."""
    doomed = [k for k, s in store.sessions.items() if username in (None, s.user)]
    for key in doomed:
        del store.sessions[key]
    store.dirty.set()
    return len(doomed)
