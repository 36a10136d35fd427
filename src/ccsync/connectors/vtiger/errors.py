"""The one place where Vtiger answers become ``ccsync.errors`` classes.

Both flavours come through here:

* webservice: HTTP 200 with ``{"success": false, "error": {"code", "message"}}`` (``code`` may be
  the integer ``0`` for duplicate prevention), HTTP 500 with an empty body for PHP fatals (the
  ``sync`` and ``logout`` operations on PHP 8).
* restapi (Cloud): a non-200 status whose reason phrase carries the message, 429 when a quota is
  used up, and sometimes the webservice envelope as well.
"""

from __future__ import annotations

import re
import time
from email.utils import parsedate_to_datetime
from typing import Any

import httpx2

from ccsync.errors import (
    ConfigError,
    CrmAuthError,
    FatalError,
    RateLimited,
    RecordNotFound,
    RetriableError,
    SkippableRecordError,
    SyncError,
    UnavailableOperation,
)

SESSION_CODES = frozenset(
    {"INVALID_SESSIONID", "AUTHENTICATION_REQUIRED", "SESSION_EXPIRED", "SESSION_LEFT_IDLE"}
)
CREDENTIAL_CODES = frozenset({"INVALID_USER_CREDENTIALS", "INVALID_AUTH_TOKEN"})
RECORD_OPS = frozenset({"retrieve", "revise", "update", "delete"})
WRITE_OPS = frozenset({"create", "revise", "update", "delete"})
_HIDDEN_MARK = "read given object"
_CODE_RE = re.compile(r"\b([A-Z]{2,}(?:_[A-Z]+)+)\b")

_SKIP_REASONS = {
    "MANDATORY_FIELDS_MISSING": "missing_mandatory",
    "REFERENCE_INVALID": "invalid_reference",
    "0": "crm_duplicate",
}
_RETRIABLE_CODES = frozenset({"DATABASE_QUERY_ERROR", "INTERNAL_SERVER_ERROR"})


class SessionLost(CrmAuthError):
    """The webservice session is gone (expired, collected, or never sent): log in again."""


class CredentialsRefused(CrmAuthError):
    """Login refused: a wrong key, or a challenge another client of the same user replaced."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


class RecordGone(RecordNotFound):
    """The record cannot be reached: deleted, never existed, or hidden from this user.

    Attributes:
        hidden: True when the server said the record exists but this user may not read it
            (``Permission to read given object is denied``), False for deleted or unknown ids.
    """

    def __init__(self, message: str, *, hidden: bool) -> None:
        super().__init__(message)
        self.hidden = hidden


class ServerFailure(UnavailableOperation):
    """HTTP 500 (or another non-JSON answer): the server could not run the operation.

    Reads retry it a few times (a passing fault); a permanent one is an unavailable operation.
    """


def result_of(response: httpx2.Response, operation: str) -> Any:
    """The ``result`` member of a successful answer, or the matching ``ccsync`` error.

    Args:
        response: the HTTP response of one operation.
        operation: the operation name (decides how ``ACCESS_DENIED`` is read).

    Returns:
        The decoded ``result`` value.

    Raises:
        SyncError: the subclass that says what the caller must do.
    """
    status = response.status_code
    if status == 429:
        raise RateLimited(
            f"Vtiger throttled {operation} (HTTP 429)", retry_after=retry_after(response)
        )
    if status != 200:
        raise _status_error(response, operation)
    body = _json_body(response)
    if not isinstance(body, dict) or "success" not in body:
        raise ServerFailure(
            f"Vtiger answered {operation} with a body that is not a Vtiger envelope"
        )
    if body.get("success") is True:
        return body.get("result")
    raw_error = body.get("error")
    error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
    raise error_for(str(error.get("code", "")), str(error.get("message", "")), operation)


def _json_body(response: httpx2.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise ServerFailure(
            f"Vtiger answered HTTP {response.status_code} with a non-JSON body"
        ) from None


def error_for(code: str, message: str, operation: str) -> SyncError:
    """Map a Vtiger error code and message of ``operation`` to a ``ccsync`` error."""
    text = f"Vtiger {operation} failed: {code or 'error'}: {message}".rstrip(": ")
    if code in SESSION_CODES:
        return SessionLost(text)
    if code in CREDENTIAL_CODES:
        return CredentialsRefused(text, code=code)
    if code == "ACCESSKEY_UNDEFINED":
        return CrmAuthError(text)
    if code in _SKIP_REASONS:
        return SkippableRecordError(_SKIP_REASONS[code], text)
    if code in _RETRIABLE_CODES:
        return RetriableError(text)
    if code == "TOO_MANY_REQUESTS":
        return RateLimited(text)
    return _access_error(code, message, operation, text)


def _access_error(code: str, message: str, operation: str, text: str) -> SyncError:
    if code in ("ACCESS_DENIED", "INVALID_ID_ATTRIBUTE", "RECORD_NOT_FOUND"):
        if operation in RECORD_OPS:
            return RecordGone(text, hidden=_HIDDEN_MARK in message)
        if operation == "create":
            return SkippableRecordError("crm_access_denied", text)
        if operation == "getchallenge":
            return CrmAuthError(text)
        return ConfigError(text)
    return FatalError(text)


def _status_error(response: httpx2.Response, operation: str) -> SyncError:
    """restapi errors: the message is the reason phrase (plus a body when there is one)."""
    status = response.status_code
    reason = response.reason_phrase or ""
    detail = _body_detail(response)
    message = " ".join(part for part in (reason, detail) if part)[:500]
    if status >= 500:
        text = f"Vtiger answered {operation} with HTTP {status} {reason}".strip()
        if status == 500 or not response.content:
            return ServerFailure(text)
        return RetriableError(text)
    code = code_from_message(message)
    if code is not None and status not in (401, 404, 405):
        return error_for(code, message, operation)
    return _client_status_error(status, message, operation)


_MESSAGE_CODES = (
    (re.compile(r"Permission to (perform|read|access)|denied", re.I), "ACCESS_DENIED"),
    (re.compile(r"does not have a value", re.I), "MANDATORY_FIELDS_MISSING"),
    (re.compile(r"Invalid reference", re.I), "REFERENCE_INVALID"),
    (re.compile(r"Duplicate\(s\) detected", re.I), "0"),
    (re.compile(r"Id specified is incorrect", re.I), "INVALID_ID_ATTRIBUTE"),
    (re.compile(r"Syntax Error", re.I), "QUERY_SYNTAX_ERROR"),
    (re.compile(r"Session Identifier|Authencation required", re.I), "INVALID_SESSIONID"),
    (re.compile(r"Invalid username or password", re.I), "INVALID_USER_CREDENTIALS"),
)


def code_from_message(message: str) -> str | None:
    """The Vtiger error code a message stands for (Cloud sends messages without codes)."""
    explicit = _CODE_RE.search(message)
    if explicit:
        return explicit.group(1)
    for pattern, code in _MESSAGE_CODES:
        if pattern.search(message):
            return code
    return None


def _client_status_error(status: int, message: str, operation: str) -> SyncError:
    text = f"Vtiger {operation} failed: HTTP {status} {message}".strip()
    if status == 401:
        return CredentialsRefused(text, code="INVALID_USER_CREDENTIALS")
    if operation in RECORD_OPS and status in (403, 404):
        return RecordGone(text, hidden=_HIDDEN_MARK in message)
    if operation in WRITE_OPS and status == 400:
        return SkippableRecordError("crm_rejected", text)
    if status == 403:
        return CrmAuthError(text)
    return FatalError(text)


def _body_detail(response: httpx2.Response) -> str:
    if not response.content:
        return ""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200]
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        return f"{error.get('code', '')} {error.get('message', '')}".strip()
    return ""


def retry_after(response: httpx2.Response) -> float | None:
    """Seconds to wait from ``Retry-After`` or ``X-FloodControl-Reset`` (a Unix time)."""
    header = response.headers.get("retry-after")
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(header).timestamp() - time.time())
            except (TypeError, ValueError):
                return None
    reset = response.headers.get("x-floodcontrol-reset")
    if reset and reset.isdigit():
        return max(0.0, float(reset) - time.time())
    return None
