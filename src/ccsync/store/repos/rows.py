"""Plain frozen rows the repos hand out, so no ORM object leaves the store.

Secrets (client secret, Vtiger access key) are kept out of every ``repr``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

CONNECTOR_STATUSES = (
    "not_configured",
    "needs_sign_in",
    "connected",
    "reconnect_needed",
    "crm_auth",
    "paused",
    "quota",
)


@dataclass(frozen=True, slots=True)
class UserRow:
    """A local account (the password hash never leaves the store)."""

    id: int
    username: str
    role: str
    time_zone: str
    must_change_password: bool
    created_at: datetime

    @property
    def is_admin(self) -> bool:
        """True for administrators."""
        return self.role == "admin"


@dataclass(frozen=True, slots=True)
class ConnectorRow:
    """A connector with its settings and decrypted secrets."""

    id: int
    name: str
    owner_id: int
    settings: dict[str, Any]
    status: str
    status_detail: str | None
    cc_account_id: str | None
    paused_until: datetime | None
    debug_until: datetime | None
    first_run_cutoff: datetime | None
    created_at: datetime
    updated_at: datetime
    client_secret: str | None = field(default=None, repr=False)
    vtiger_access_key: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class LinkWrite:
    """A pair to store: makes (crm_id, cc_id) the live pair of both ids.

    ``tombstoned_at``/``tombstone_side`` are written as given, so a write of a live pair also
    lifts an old tombstone (a Recycle-Bin restore re-linked).
    """

    crm_id: str
    cc_id: str
    crm_snapshot: dict[str, Any] | None = None
    cc_snapshot: dict[str, Any] | None = None
    crm_updated_at: datetime | None = None
    cc_updated_at: datetime | None = None
    cc_permission: str | None = None
    tombstoned_at: datetime | None = None
    tombstone_side: str | None = None
    pending: str | None = None  # a refused write of the pair (cleared by every stored write)


@dataclass(frozen=True, slots=True)
class LinkRow:
    """A stored pair (live unless ``archived``)."""

    id: int
    connector_id: int
    crm_id: str
    cc_id: str
    crm_snapshot: dict[str, Any] | None
    cc_snapshot: dict[str, Any] | None
    crm_updated_at: datetime | None
    cc_updated_at: datetime | None
    cc_permission: str | None
    tombstoned_at: datetime | None
    tombstone_side: str | None
    archived: bool
    pending: str | None = None

    @property
    def tombstoned(self) -> bool:
        """True when the pair was deleted on one side."""
        return self.tombstoned_at is not None


@dataclass(frozen=True, slots=True)
class RunRow:
    """One run: counts are ``{side: {action: n}}``, calls ``{side: n}``."""

    id: int
    connector_id: int
    trigger: str
    status: str
    started_at: datetime
    ended_at: datetime | None
    counts: dict[str, Any]
    calls: dict[str, Any]
    error: str | None
    first_run: bool
    preview_required: bool


@dataclass(frozen=True, slots=True)
class RunItemWrite:
    """One affected record of a run, as the runner records it."""

    side: str
    action: str
    crm_id: str | None = None
    cc_id: str | None = None
    record_name: str | None = None
    reason: str | None = None
    message: str | None = None
    diff: dict[str, Any] | None = None
    conflict: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class RunItemRow:
    """A stored run item."""

    id: int
    run_id: int
    side: str
    action: str
    crm_id: str | None
    cc_id: str | None
    record_name: str | None
    reason: str | None
    message: str | None
    diff: dict[str, Any] | None
    conflict: dict[str, Any] | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RetryRow:
    """A failed write waiting for its next attempt (or dead)."""

    id: int
    connector_id: int
    side: str
    source_side: str
    record_id: str
    payload: dict[str, Any]
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    dead: bool


@dataclass(frozen=True, slots=True)
class HeldWrite:
    """An action the circuit breaker holds back."""

    side: str
    action: str
    crm_id: str | None = None
    cc_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HeldRow:
    """A stored held action."""

    id: int
    connector_id: int
    side: str
    action: str
    crm_id: str | None
    cc_id: str | None
    payload: dict[str, Any]
    held_at: datetime
    run_id: int | None


@dataclass(frozen=True, slots=True)
class AttentionRow:
    """Something waiting for a person (ambiguous duplicates: ``candidates`` lists them)."""

    id: int
    connector_id: int
    kind: str
    email: str
    candidates: list[Any]
    resolved: bool
    created_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class DebugRow:
    """One redacted request/response of a run."""

    id: int
    connector_id: int
    run_id: int | None
    at: datetime
    method: str
    url: str
    status: int | None
    duration_ms: float
    request_headers: dict[str, Any]
    request_body: str
    response_headers: dict[str, Any]
    response_body: str
