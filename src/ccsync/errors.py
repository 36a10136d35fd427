"""The one error tree of ccsync.

Errors are grouped by what the caller must do, never by which API raised them::

    CcsyncError
    ├── InvalidRequest            a caller asked for something invalid (also a ``ValueError``)
    │   └── AlreadyExists         a user or connector with that name exists already
    ├── NotFound                  no stored row with that id or name (also a ``LookupError``)
    └── SyncError                 a sync with a provider failed
        ├── RetriableError        retry later (throttled, 5xx, dropped connection, timeout)
        │   └── RateLimited       429 throttled: back off and retry
        ├── FatalError            stop the run; nothing advances
        │   ├── AuthError         credentials refused
        │   │   └── ReconnectNeeded  OAuth refresh token dead (invalid_grant): sign in again
        │   ├── ConfigError       bad settings (URL, time zone, scope)
        │   ├── QuotaExhausted    daily quota used up: pause until ``resets_at``
        │   └── UnavailableOperation  the server cannot do this at all (Vtiger ``sync`` on PHP 8)
        └── SkippableRecordError  this record cannot be written; skip it with ``reason``
            ├── RecordConflict    the email belongs to another record (CC 409)
            └── RecordNotFound    the record is gone (deleted, hidden, unknown id)

``InvalidRequest`` and ``NotFound`` stay subclasses of the builtins they replaced, so a caller's
``except ValueError`` / ``except LookupError`` still catches them; they are not ``SyncError``s,
so no handler of a failed sync mistakes a caller's mistake for a provider's failure.

Every connector turns HTTP statuses and error bodies into these classes in exactly one place.
Messages never contain tokens, secrets, access keys or session ids.
"""

from __future__ import annotations

from datetime import datetime


class CcsyncError(Exception):
    """Root of every error ccsync raises on purpose."""


class InvalidRequest(CcsyncError, ValueError):
    """A caller asked for something invalid (an unknown role, side, status, column or time zone).

    Also a ``ValueError``, the builtin the store raised before, so existing handlers still match.
    """


class AlreadyExists(InvalidRequest):
    """A user or connector with that name exists already."""


class NotFound(CcsyncError, LookupError):
    """No stored row with that id (or name).

    Also a ``LookupError``, the builtin the store raised before, so existing handlers still match.
    """


class SyncError(CcsyncError):
    """Root of every error a sync with a provider raises on purpose."""


class RetriableError(SyncError):
    """A transient failure: the same request may succeed later."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(RetriableError):
    """The provider answered 429 throttled."""


class FatalError(SyncError):
    """The run cannot go on; watermarks must not advance."""


class AuthError(FatalError):
    """The provider refused our credentials."""


class CrmAuthError(AuthError):
    """Vtiger refused ccsync's credentials (user name / access key): fixed in the settings, not
    by signing in to Constant Contact again."""


class ReconnectNeeded(AuthError):
    """The OAuth grant is dead (``invalid_grant``): the owner must sign in again."""


class ConfigError(FatalError):
    """A setting is wrong or missing."""


class QuotaExhausted(FatalError):
    """The daily quota is used up until ``resets_at`` (UTC)."""

    def __init__(self, message: str, *, resets_at: datetime | None = None) -> None:
        super().__init__(message)
        self.resets_at = resets_at


class UnavailableOperation(FatalError):
    """The server cannot perform this operation (for example HTTP 500 with an empty body)."""


class SkippableRecordError(SyncError):
    """One record cannot be written; the run skips it with ``reason`` and goes on."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class RecordConflict(SkippableRecordError):
    """The email address already belongs to ``holder_id`` (in ``holder_status``)."""

    def __init__(
        self, message: str, *, holder_id: str | None = None, holder_status: str | None = None
    ) -> None:
        super().__init__("cc_email_in_use", message)
        self.holder_id = holder_id
        self.holder_status = holder_status


class RecordNotFound(SkippableRecordError):
    """The record is deleted, hidden from this user, or never existed."""

    def __init__(self, message: str) -> None:
        super().__init__("not_found", message)
