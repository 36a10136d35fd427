"""SQLAlchemy 2 ORM models: one schema for SQLite and PostgreSQL (see docs/architecture.md).

Only ``store/`` touches these classes; everything outside gets plain dataclasses from
``store.repos``. Every timestamp is an aware UTC datetime (``UtcDateTime``); secrets and tokens
are ``EncryptedText``. Live links are unique per side through partial unique indexes
(``WHERE NOT archived``), so archived pairs never block a new pairing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ccsync.store.crypto import EncryptedText
from ccsync.store.types import UtcDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

LIVE = text("NOT archived")  # the predicate of the partial unique indexes on links


def utcnow() -> datetime:
    """The current instant, aware UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base with deterministic constraint names (Alembic batch mode needs them)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON, str: String(255)}


def _connector_fk(*, index: bool = False) -> Mapped[int]:
    # Tables whose unique constraints start with connector_id need no separate index.
    return mapped_column(ForeignKey("connectors.id", ondelete="CASCADE"), index=index)


class User(Base):
    """A local account."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(unique=True)
    password_hash: Mapped[str]
    role: Mapped[str] = mapped_column(String(16), default="user")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    must_change_password: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Connector(Base):
    """One Vtiger login paired with one Constant Contact authorization."""

    __tablename__ = "connectors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    client_secret: Mapped[str | None] = mapped_column(EncryptedText())
    vtiger_access_key: Mapped[str | None] = mapped_column(EncryptedText())
    status: Mapped[str] = mapped_column(String(32), default="not_configured")
    status_detail: Mapped[str | None] = mapped_column(Text)
    cc_account_id: Mapped[str | None]
    paused_until: Mapped[datetime | None]
    debug_until: Mapped[datetime | None]
    first_run_cutoff: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Token(Base):
    """The OAuth tokens of a connector; ``version`` makes every write a compare-and-swap."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    connector_id: Mapped[int] = mapped_column(
        ForeignKey("connectors.id", ondelete="CASCADE"), unique=True
    )
    access_token: Mapped[str] = mapped_column(EncryptedText())
    refresh_token: Mapped[str | None] = mapped_column(EncryptedText())
    expires_at: Mapped[datetime]
    scope: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Link(Base):
    """A CRM contact paired with a CC contact, with the last synced canonical snapshots."""

    __tablename__ = "links"
    __table_args__ = (
        Index(
            "uq_links_live_crm",
            "connector_id",
            "crm_id",
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        ),
        Index(
            "uq_links_live_cc",
            "connector_id",
            "cc_id",
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    connector_id: Mapped[int] = _connector_fk()
    crm_id: Mapped[str] = mapped_column(String(64))
    cc_id: Mapped[str] = mapped_column(String(64))
    crm_snapshot: Mapped[dict[str, Any] | None]
    cc_snapshot: Mapped[dict[str, Any] | None]
    crm_updated_at: Mapped[datetime | None]
    cc_updated_at: Mapped[datetime | None]
    cc_permission: Mapped[str | None] = mapped_column(String(32))
    tombstoned_at: Mapped[datetime | None]
    tombstone_side: Mapped[str | None] = mapped_column(String(8))
    archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # issue 9 (revision 0004): a write of this pair the target refused (``cc_email_in_use``)
    pending: Mapped[str | None] = mapped_column(String(64))


class SideState(Base):
    """The opaque change-read state of one side (watermark, inventory; may be megabytes)."""

    __tablename__ = "side_state"

    connector_id: Mapped[int] = mapped_column(
        ForeignKey("connectors.id", ondelete="CASCADE"), primary_key=True
    )
    side: Mapped[str] = mapped_column(String(8), primary_key=True)
    state: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Run(Base):
    """One sync run (or preview) of a connector."""

    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_connector_started", "connector_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connector_id: Mapped[int] = mapped_column(ForeignKey("connectors.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32), default="running")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    calls: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    first_run: Mapped[bool] = mapped_column(default=False)
    preview_required: Mapped[bool] = mapped_column(default=False)


class RunItem(Base):
    """One affected record of a run, on one target side."""

    __tablename__ = "run_items"
    __table_args__ = (Index("ix_run_items_drill", "run_id", "side", "action", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(String(8))
    action: Mapped[str] = mapped_column(String(16))
    crm_id: Mapped[str | None] = mapped_column(String(64))
    cc_id: Mapped[str | None] = mapped_column(String(64))
    record_name: Mapped[str | None]
    reason: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)
    diff: Mapped[dict[str, Any] | None]
    conflict: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RetryEntry(Base):
    """A record whose write failed: retried with backoff, dead after too many attempts."""

    __tablename__ = "retry_queue"
    __table_args__ = (UniqueConstraint("connector_id", "source_side", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connector_id: Mapped[int] = _connector_fk()
    side: Mapped[str] = mapped_column(String(8))
    source_side: Mapped[str] = mapped_column(String(8))
    record_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    dead: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class HeldAction(Base):
    """A delete or create held back by the circuit breaker until Confirm or Discard."""

    __tablename__ = "held_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    connector_id: Mapped[int] = _connector_fk(index=True)
    side: Mapped[str] = mapped_column(String(8))
    action: Mapped[str] = mapped_column(String(16))
    crm_id: Mapped[str | None] = mapped_column(String(64))
    cc_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    held_at: Mapped[datetime] = mapped_column(default=utcnow)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))


class Attention(Base):
    """Something an admin must decide (ambiguous duplicates), listed once per email."""

    __tablename__ = "attention"
    __table_args__ = (UniqueConstraint("connector_id", "kind", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connector_id: Mapped[int] = _connector_fk()
    kind: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(320))
    candidates: Mapped[list[Any]] = mapped_column(JSON, default=list)
    resolved: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]


class DebugEntry(Base):
    """One redacted remote request/response of a run in Debug Mode."""

    __tablename__ = "debug_log"
    __table_args__ = (Index("ix_debug_log_run", "run_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    connector_id: Mapped[int] = _connector_fk(index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(index=True)
    method: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[int | None]
    duration_ms: Mapped[float] = mapped_column(Float)
    request_headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    request_body: Mapped[str] = mapped_column(Text, default="")
    response_headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    response_body: Mapped[str] = mapped_column(Text, default="")


class RunLease(Base):
    """Who runs a connector right now, until when."""

    __tablename__ = "run_leases"

    connector_id: Mapped[int] = mapped_column(
        ForeignKey("connectors.id", ondelete="CASCADE"), primary_key=True
    )
    holder: Mapped[str]
    expires_at: Mapped[datetime]
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    # -- issue 9 (migration 0003): where the holder runs, so a lease whose process is gone on
    # this host is taken over at once instead of after its TTL
    holder_host: Mapped[str | None] = mapped_column(String(255), default=None)
    holder_pid: Mapped[int | None] = mapped_column(default=None)


class ApiBudget(Base):
    """Calls spent per budget key (a CC client id) and UTC calendar day."""

    __tablename__ = "api_budget"

    key: Mapped[str] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    calls: Mapped[int] = mapped_column(default=0)


# --- issue 10: web security (server-side sessions, audit log; migration 0002) ---


class WebSession(Base):
    """A signed-in browser; the cookie holds the token, this table only its SHA-256."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    client: Mapped[str | None] = mapped_column(String(64))


class AuditEvent(Base):
    """Who did what, when, from where (sign-ins, settings, revokes, held confirmations...)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None]
    actor: Mapped[str | None]
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None]
    client: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)


# -- issue 9, consent (revision 0004) ------------------------------------------------------


class CrmOptOut(Base):
    """A Vtiger contact seen with Email Opt Out = 1, by casefolded email (consent beyond a run).

    Kept from every run's reads: a contact read with Email Opt Out = 0, or deleted, leaves it.
    No CC contact may stay subscribed while one of these holds its email.
    """

    __tablename__ = "crm_optouts"
    __table_args__ = (
        UniqueConstraint("connector_id", "crm_id"),
        Index("ix_crm_optouts_email", "connector_id", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connector_id: Mapped[int] = _connector_fk()
    crm_id: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# -- issue 13, scale-out (revision 0006) ---------------------------------------------------


class Worker(Base):
    """A ``ccsync worker`` process on the job queue, with its heartbeat.

    A worker silent for longer than ``worker_stalled_s`` is dead: a run lease it holds (found by
    ``holder_host`` and ``holder_pid``) is taken over at once, on any machine, instead of
    after the lease's TTL.
    """

    __tablename__ = "workers"
    __table_args__ = (Index("ix_workers_host_pid", "host", "pid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    concurrency: Mapped[int] = mapped_column(default=1)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column(default=None)
    runs: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0)
