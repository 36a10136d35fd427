"""Build the connectors of a stored connector row, through the provider registry.

Each side's provider is named in the settings (``crm_provider``, ``cc_provider``; Vtiger and
Constant Contact when absent) and looked up in ``ccsync.connectors.registry``: the engine never
imports a provider package. The provider gets the settings (every known key, defaults filled
in), the row's secrets, and what the store lends it: the connector's tokens (``DbTokenStore``)
and the daily budget shared by every process (``DbDailyBudget``). In Debug Mode (on, and not
expired) every request/response goes to ``debug_log`` redacted.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ccsync.connectors.base import AccountSummary, Connector, Side
from ccsync.connectors.capabilities import AccountInfo
from ccsync.connectors.registry import BuildContext, provider
from ccsync.connectors.trace import TraceEntry, TraceSink
from ccsync.engine.config import ConnectorConfig
from ccsync.errors import ConfigError
from ccsync.settings import AppSettings
from ccsync.store.budget import DbDailyBudget
from ccsync.store.repos import ConnectorRow
from ccsync.store.tokens import DbTokenStore

DEFAULT_PROVIDERS: dict[Side, str] = {"crm": "vtiger", "cc": "constantcontact"}


@dataclass(slots=True)
class TraceBuffer:
    """Collects redacted trace entries from connector threads until the run stores them."""

    entries: list[TraceEntry] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sink(self, entry: TraceEntry) -> None:
        """The ``TraceSink`` given to the connectors."""
        with self.lock:
            self.entries.append(entry)

    def drain(self) -> list[TraceEntry]:
        """Take every entry collected so far."""
        with self.lock:
            out, self.entries = self.entries, []
        return out


def debug_on(row: ConnectorRow, now: datetime | None = None) -> bool:
    """Debug Mode is on until ``debug_until`` (it switches itself off after 24 h)."""
    return row.debug_until is not None and row.debug_until > (now or datetime.now(UTC))


def provider_name(row: ConnectorRow, side: Side) -> str:
    """The provider that plays ``side`` for ``row`` (``crm_provider`` / ``cc_provider``)."""
    name = row.settings.get(f"{side}_provider")
    return name if isinstance(name, str) and name else DEFAULT_PROVIDERS[side]


def build_context(
    settings: AppSettings,
    sessions: sessionmaker[Session],
    row: ConnectorRow,
    trace: TraceSink | None = None,
) -> BuildContext:
    """What a provider gets to build a connector of ``row``."""
    values: dict[str, Any] = {**row.settings, **ConnectorConfig.from_dict(row.settings).to_dict()}
    secrets = {"client_secret": row.client_secret or "", "access_key": row.vtiger_access_key or ""}
    return BuildContext(
        connector_id=row.id,
        settings=values,
        data_dir=Path(settings.data_dir),
        tokens=DbTokenStore(sessions, row.id, settings.data_dir),
        budget=DbDailyBudget(sessions),
        secrets=secrets,
        trace=trace,
    )


def build_side(
    side: Side,
    settings: AppSettings,
    sessions: sessionmaker[Session],
    row: ConnectorRow,
    trace: TraceSink | None = None,
) -> Connector:
    """The connector that plays ``side`` for ``row`` (raises ``ConfigError`` for an unknown
    provider or incomplete settings)."""
    found = provider(provider_name(row, side), side)
    return found.build(build_context(settings, sessions, row, trace))


def build_cc(
    settings: AppSettings,
    sessions: sessionmaker[Session],
    row: ConnectorRow,
    trace: TraceSink | None = None,
) -> Connector:
    """The email-marketing side's connector of ``row`` (Constant Contact by default)."""
    return build_side("cc", settings, sessions, row, trace)


def build_crm(
    settings: AppSettings,
    sessions: sessionmaker[Session],
    row: ConnectorRow,
    trace: TraceSink | None = None,
) -> Connector:
    """The CRM side's connector of ``row`` (Vtiger by default)."""
    return build_side("crm", settings, sessions, row, trace)


def account_summary(
    settings: AppSettings, sessions: sessionmaker[Session], row: ConnectorRow
) -> AccountSummary:
    """The account the email-marketing side of ``row`` is signed in to.

    Built like a run builds it, so the identity call counts against the shared limiter and
    budget.

    Raises:
        ConfigError: the side's provider tells no account.
    """
    connector = build_cc(settings, sessions, row)
    try:
        if not isinstance(connector, AccountInfo):
            raise ConfigError(f"provider {provider_name(row, 'cc')!r} tells no account")
        return connector.account_summary()
    finally:
        connector.close()
