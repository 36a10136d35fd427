"""The one place where Constant Contact answers become ``ccsync.errors`` classes.

API answers go through ``raise_for_response``; token-endpoint answers through
``raise_for_token_response``; dropped connections and timeouts through ``transport_error``.
Messages quote CC's ``error_key``/``error_message`` (never a token or a secret).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx2

from ccsync.errors import (
    AuthError,
    ConfigError,
    FatalError,
    QuotaExhausted,
    RateLimited,
    ReconnectNeeded,
    RecordConflict,
    RecordNotFound,
    RetriableError,
    SkippableRecordError,
)

THROTTLE_BACKOFF = 1.0  # CC sends no Retry-After; its docs say back off about a second
_HOLDER_RE = re.compile(r"contact\s+([0-9a-fA-F-]{36})")


class Unauthorized(AuthError):
    """401 from the API: the caller refreshes the token once, then gives up with AuthError."""


def error_parts(response: httpx2.Response) -> tuple[str, str]:
    """``(error_key, error_message)`` of a CC error body (an array or a single object)."""
    try:
        body: Any = response.json()
    except ValueError:
        return "", response.text[:200]
    if isinstance(body, list) and body:
        body = body[0]
    if not isinstance(body, dict):
        return "", str(body)[:200]
    key = body.get("error_key") or body.get("error") or ""
    message = body.get("error_message") or body.get("error_description") or ""
    return str(key), str(message)


def holder_id(message: str) -> str | None:
    """The contact id in "Email already exists for contact <id>", if any."""
    match = _HOLDER_RE.search(message)
    return match.group(1) if match else None


def raise_for_response(response: httpx2.Response, *, resets_at: datetime) -> None:
    """Raise the ccsync error matching a non-2xx API answer.

    Args:
        response: the answer (already read).
        resets_at: when the daily quota resets (next 00:00 UTC), for ``QuotaExhausted``.

    Raises:
        Unauthorized: 401. AuthError: 403. RecordNotFound: 404. RecordConflict: 409.
        SkippableRecordError: 400/422 (``cc_rejected``). RateLimited: 429 ``throttled`` or a full
        activity queue. QuotaExhausted: 429 ``quota_exceeded``. RetriableError: 5xx.
        ConfigError: 415. FatalError: anything else.
    """
    status = response.status_code
    if status < 400:
        return
    key, message = error_parts(response)
    where = f"{response.request.method} {response.request.url.path}"
    text = f"{where}: HTTP {status} {key} {message}".strip()
    raise _error_for(status, key, message, text, resets_at)


def _error_for(status: int, key: str, message: str, text: str, resets_at: datetime) -> Exception:
    if status == 401:
        return Unauthorized(text)
    if status == 403:
        return AuthError(f"{text} (missing contact_data scope or user privilege)")
    if status == 404:
        return RecordNotFound(text)
    if status == 409:
        return RecordConflict(text, holder_id=holder_id(message))
    if status in (400, 422):
        return SkippableRecordError("cc_rejected", message or text)
    if status == 429:
        return _too_many(key, text, resets_at)
    if status >= 500:
        return RetriableError(text)
    if status == 415:
        return ConfigError(text)
    return FatalError(text)


def _too_many(key: str, text: str, resets_at: datetime) -> Exception:
    if key == "quota_exceeded":
        return QuotaExhausted(f"{text}; resets at {resets_at.isoformat()}", resets_at=resets_at)
    return RateLimited(text, retry_after=THROTTLE_BACKOFF)


def raise_for_token_response(response: httpx2.Response) -> None:
    """Raise the ccsync error matching a non-2xx token or revoke endpoint answer.

    Raises:
        ReconnectNeeded: ``invalid_grant`` (the refresh token or code is dead).
        RateLimited: 429. RetriableError: 5xx. AuthError: any other refusal.
    """
    status = response.status_code
    if status < 400:
        return
    key, message = error_parts(response)
    text = f"token endpoint: HTTP {status} {key} {message}".strip()
    if key == "invalid_grant":
        raise ReconnectNeeded(f"{text}; the owner must sign in again")
    if status == 429:
        raise RateLimited(text, retry_after=THROTTLE_BACKOFF)
    if status >= 500:
        raise RetriableError(text)
    raise AuthError(text)


def transport_error(exc: httpx2.TransportError) -> RetriableError:
    """A dropped connection, timeout or refused connect, as a retriable error."""
    return RetriableError(f"connection problem: {type(exc).__name__}")
