"""Pydantic models of the JSON API (they make the OpenAPI document) and of the settings forms."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from ccsync.domain.choices import CcDeletePolicy, ConflictPolicy, CrmDeletePolicy, Direction
from ccsync.domain.links import is_http_url
from ccsync.engine.config import Frequency

Side = Literal["cc", "crm"]
Action = Literal["created", "updated", "skipped", "deleted", "conflict"]
Url = Field(default="", max_length=2000)


class Message(BaseModel):
    """A sentence for the user."""

    ok: bool = True
    message: str


class UserOut(BaseModel):
    """A local account."""

    id: int
    username: str
    role: str
    time_zone: str


class ConnectorOut(BaseModel):
    """A connector as the Sync window shows it."""

    id: int
    name: str
    owner_id: int
    owner_name: str
    state: str
    state_label: str
    account: str
    running: bool
    pending: bool
    stage: str
    done: int
    total: int
    last_run: str
    last_status: str
    configured: bool


class ConnectorIn(BaseModel):
    """A new connector (admins)."""

    name: str = Field(min_length=1, max_length=100)
    owner_id: int = Field(ge=1, le=2**31 - 1)


class OAuthSettingsIn(BaseModel):
    """OAuth Settings: the Constant Contact application (the secret is kept when left empty)."""

    client_id: str = Field(min_length=1, max_length=255)
    client_secret: str = Field(default="", max_length=1000)
    auth_url: str = Field(min_length=1, max_length=2000)
    token_url: str = Field(min_length=1, max_length=2000)
    revoke_url: str = Url
    api_base_url: str = Field(min_length=1, max_length=2000)
    scopes: str = Field(default="contact_data offline_access", min_length=1, max_length=500)
    pkce: Literal["auto", "on", "off"] = "auto"


class OAuthSettingsOut(BaseModel):
    """OAuth Settings as shown back: the secret masked."""

    client_id: str
    secret_mask: str
    auth_url: str
    token_url: str
    revoke_url: str
    api_base_url: str
    scopes: str
    pkce: str
    redirect_uri: str


class CustomFieldIn(BaseModel):
    """A custom field mapped on both sides."""

    crm_field: str = Field(pattern=r"^cf_[A-Za-z0-9_]{1,60}$")
    cc_id: str = Field(min_length=1, max_length=100)
    cc_name: str = Field(min_length=1, max_length=100)
    direction: Direction = "both"


class SyncSettingsIn(BaseModel):
    """Sync Settings plus scope, policies, Vtiger connection and mapping options (admins)."""

    sync_records_from: Literal["7d", "30d", "90d", "1y", "all", "date"] = "all"
    sync_records_date: str = Field("", max_length=10, description="YYYY-MM-DD when 'date'")
    debug_mode: bool = False
    frequency: Frequency = "15m"
    direction: Direction = "both"
    enabled: bool = True
    conflict_policy: ConflictPolicy = "newest"
    delete_crm: CrmDeletePolicy = "mirror"
    delete_cc: CcDeletePolicy = "mirror"
    delete_wins: bool = False
    crm_scope: Literal["assigned", "all"] = "assigned"
    cc_scope: Literal["account", "lists"] = "account"
    target_list: str = Field(default="ccsync", min_length=1, max_length=255)
    vtiger_timezone: str = Field(default="UTC", min_length=1, max_length=64)
    cc_record_url: str = Url
    vtiger_url: str = Url
    vtiger_username: str = Field(default="", max_length=255)
    vtiger_access_key: str = Field(default="", max_length=255)
    vtiger_flavour: Literal["webservice", "restapi"] = "webservice"
    extended: bool = True
    office_phone_as_work: bool = False
    custom: list[CustomFieldIn] = Field(default_factory=list, max_length=100)

    @field_validator("cc_record_url", "vtiger_url")
    @classmethod
    def _http_only(cls, value: str) -> str:
        # These become links in the drill-down: a javascript: or data: URL would run in the
        # viewer's browser.
        if value.strip() and not is_http_url(value.strip()):
            raise ValueError("must be an http:// or https:// URL")
        return value


class MappingRowOut(BaseModel):
    """One row of the field mapping."""

    crm_field: str
    cc_path: str
    direction: str
    extended: bool


class BudgetOut(BaseModel):
    """The projected daily CC calls on this connector's Client ID (sync rule Q4)."""

    client_id: str
    projected: int
    quota: int
    percent: int
    best: str


class SyncSettingsOut(SyncSettingsIn):
    """Sync Settings as shown back: the access key masked."""

    vtiger_access_key: str = ""
    access_key_mask: str = ""
    mapping: list[MappingRowOut] = Field(default_factory=list)
    budget: BudgetOut | None = None


class Counts(BaseModel):
    """Created / Updated / Skipped / Deleted on one side."""

    created: int = 0
    updated: int = 0
    skipped: int = 0
    deleted: int = 0


class RunOut(BaseModel):
    """One run of the Sync Log."""

    id: int
    trigger: str
    status: str
    started_at: datetime
    ended_at: datetime | None
    local_date: str
    local_time: str
    cc: Counts
    crm: Counts
    calls: dict[str, int]
    error: str
    first_run: bool
    preview_required: bool


class RunItemOut(BaseModel):
    """One record of a drill-down."""

    id: int
    side: str
    action: str
    source_module: str
    record_name: str
    crm_id: str
    cc_id: str
    crm_url: str
    cc_url: str
    reason: str
    message: str
    diff: dict[str, Any]
    conflict: dict[str, Any]


class SyncStatusOut(BaseModel):
    """The live state of a connector's runs (what Sync Now's progress shows)."""

    state: str
    state_label: str
    running: bool
    pending: bool
    stage: str
    done: int
    total: int
    message: str


class EnqueueOut(BaseModel):
    """What a Sync Now did."""

    status: str
    message: str


class DebugEntryOut(BaseModel):
    """One redacted request/response."""

    id: int
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


class HeldOut(BaseModel):
    """An action held by the circuit breaker."""

    id: int
    side: str
    action: str
    crm_id: str | None
    cc_id: str | None
    held_at: datetime


class DeadLetterOut(BaseModel):
    """A write that failed too often."""

    id: int
    side: str
    source_side: str
    record_id: str
    attempts: int
    last_error: str | None


class AttentionOut(BaseModel):
    """Ambiguous duplicates waiting for "link this one"."""

    id: int
    kind: str
    email: str
    candidates: list[Any]


class LinkIn(BaseModel):
    """The CRM record to link."""

    crm_id: str = Field(min_length=1, max_length=64)


class PreviewOut(BaseModel):
    """The Preview (sync rule P4): what the next run would write."""

    status: str
    summary: dict[str, Counts]
    matching: dict[str, int]
    actions: list[dict[str, Any]]
    error: str
