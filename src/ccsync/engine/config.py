"""The settings of one connector as stored in ``connectors.settings`` (OAuth and Sync Settings).

One typed value, shared by the CLI, the web app and the runner, so every writer of the JSON
uses the same keys. Secrets (client secret, access key) are not here: the store keeps them
encrypted in their own columns::

    config = ConnectorConfig.from_dict(row.settings)
    row_settings = config.replace(direction="crm_to_cc").to_dict()
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ccsync.domain.choices import (
    CC_DELETE_POLICIES,
    CONFLICT_POLICIES,
    CRM_DELETE_POLICIES,
    DIRECTIONS,
    CcDeletePolicy,
    ConflictPolicy,
    CrmDeletePolicy,
    Direction,
)
from ccsync.errors import ConfigError

CHOICES: dict[str, tuple[str, ...]] = {
    "vtiger_flavour": ("webservice", "restapi"),
    "pkce": ("auto", "on", "off"),
    "direction": DIRECTIONS,
    "conflict_policy": CONFLICT_POLICIES,
    "crm_delete_policy": CRM_DELETE_POLICIES,
    "cc_delete_policy": CC_DELETE_POLICIES,
    "crm_scope": ("assigned", "all"),
    "cc_scope": ("account", "lists"),
}
FREQUENCIES = {"off": 0, "5m": 5, "15m": 15, "30m": 30, "60m": 60, "4h": 240, "daily": 1440}
_SPANS = {"7d": 7, "30d": 30, "90d": 90, "1y": 365}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class ConnectorConfig:
    """Every non-secret setting of a connector, with the product defaults."""

    vtiger_url: str = ""
    vtiger_username: str = ""
    vtiger_flavour: Literal["webservice", "restapi"] = "webservice"
    vtiger_timezone: str = "UTC"
    cc_client_id: str = ""
    cc_auth_url: str = "https://authz.constantcontact.com/oauth2/default/v1/authorize"
    cc_token_url: str = "https://authz.constantcontact.com/oauth2/default/v1/token"
    cc_revoke_url: str = ""
    cc_api_url: str = "https://api.cc.email/v3"
    cc_redirect_uri: str = "http://127.0.0.1:8765/oauth/callback"
    cc_scopes: str = "contact_data offline_access"
    pkce: Literal["auto", "on", "off"] = "auto"
    direction: Direction = "both"
    sync_records_from: str = "all"
    conflict_policy: ConflictPolicy = "newest"
    crm_delete_policy: CrmDeletePolicy = "mirror"
    cc_delete_policy: CcDeletePolicy = "mirror"
    delete_wins: bool = False
    create_unsubscribed: bool = False
    frequency: str = "15m"
    target_list: str = "ccsync"
    crm_scope: Literal["assigned", "all"] = "assigned"
    cc_scope: Literal["account", "lists"] = "account"
    contacts_enabled: bool = True
    extended_mapping: bool = True
    office_phone_as_work: bool = False
    cc_contact_url: str = "https://app.constantcontact.com/pages/contacts/ui#contact/{cc_id}"
    custom_fields: list[dict[str, str]] = field(default_factory=list)
    """Mapped custom fields: ``{"crm_field": "cf_853", "cc_id", "cc_name", "direction"}``."""

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ConnectorConfig:
        """Build from stored JSON, ignoring unknown keys and keeping defaults for missing ones."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in (data or {}).items() if k in known}
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The JSON stored in ``connectors.settings``."""
        return asdict(self)

    def updated(self, **changes: Any) -> ConnectorConfig:
        """A copy with ``changes`` applied and validated."""
        config = replace(self, **changes)
        config.validate()
        return config

    def validate(self) -> None:
        """Check choices, the time zone, the frequency and Sync Records From.

        Raises:
            ConfigError: a value is not allowed (the message names the setting).
        """
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(f"{name} must be one of {', '.join(allowed)}")
        if self.frequency not in FREQUENCIES:
            raise ConfigError(f"frequency must be one of {', '.join(FREQUENCIES)}")
        now = datetime.now(UTC)
        cutoff = parse_records_from(self.sync_records_from, now)
        if cutoff is not None and cutoff > now:
            raise ConfigError(
                f"sync_records_from {self.sync_records_from} is in the future: the first run "
                "would sync nothing; choose today or an earlier date"
            )
        try:
            ZoneInfo(self.vtiger_timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"unknown time zone {self.vtiger_timezone!r}") from exc
        for url in (self.vtiger_url, self.cc_auth_url, self.cc_token_url, self.cc_api_url):
            if url and not url.startswith(("http://", "https://")):
                raise ConfigError(f"{url!r} is not an http(s) URL")


def parse_records_from(value: str, now: datetime) -> datetime | None:
    """The first-run cutoff of "Sync Records From" (None = all records).

    Args:
        value: ``7d|30d|90d|1y|all|YYYY-MM-DD``.
        now: the current aware UTC time.

    Raises:
        ConfigError: the value is none of those.
    """
    if value == "all":
        return None
    if value in _SPANS:
        return now - timedelta(days=_SPANS[value])
    if _DATE.match(value):
        try:
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        except ValueError:
            pass
    raise ConfigError("sync_records_from must be 7d, 30d, 90d, 1y, all or YYYY-MM-DD")
