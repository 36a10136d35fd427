"""Build the connectors of a stored connector row, through the provider registry.

Each side's provider is named in the sync settings (``sync.crm_provider``, ``sync.cc_provider``;
Vtiger and Constant Contact by default) and looked up in ``ccsync.connectors.registry``: the
engine never imports a provider package. The provider gets its part of the typed settings
(``load_config(row).crm`` / ``.cc``, an instance of its ``config_model``, secrets decrypted) and
what the store lends it: the connector's tokens (``DbTokenStore``), the daily budget shared by
every process (``DbDailyBudget``) and the share of it this run may use (a first sync leaves a
reserve of the day to the quiet runs), whether the installation is shared by several machines
(PostgreSQL) and, then, the database where the providers' rate limiters are shared. In Debug
Mode (on, and not expired) every request/response goes to ``debug_log`` redacted.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from ccsync.connectors.base import AccountSummary, Connector, Side
from ccsync.connectors.capabilities import AccountInfo
from ccsync.connectors.registry import BuildContext, provider
from ccsync.connectors.trace import TraceEntry, TraceSink
from ccsync.engine.config import ConnectorConfig, load_config
from ccsync.errors import ConfigError
from ccsync.settings import AppSettings
from ccsync.store.budget import DbDailyBudget, budget_share
from ccsync.store.repos import ConnectorRow
from ccsync.store.tokens import DbTokenStore


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
    """The provider that plays ``side`` for ``row`` (``sync.crm_provider`` / ``sync.cc_provider``).

    Raises:
        ConfigError: the stored settings do not fit the settings models.
    """
    return load_config(row).sync.provider(side)


def build_context(
    settings: AppSettings,
    sessions: sessionmaker[Session],
    row: ConnectorRow,
    config: ConnectorConfig,
    side: Side,
    trace: TraceSink | None = None,
) -> BuildContext:
    """What the provider of ``side`` gets to build its connector of ``row`` (of ``config``)."""
    return BuildContext(
        connector_id=row.id,
        config=config.part(side),
        extended_mapping=config.sync.extended_mapping,
        data_dir=Path(settings.data_dir),
        tokens=DbTokenStore(sessions, row.id, settings.data_dir),
        budget=DbDailyBudget(sessions),
        budget_share=budget_share(sessions, row.id),
        shared=settings.is_postgresql,
        limiter_url=settings.postgres_dsn,
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
    config = load_config(row)
    found = provider(config.sync.provider(side), side)
    return found.build(build_context(settings, sessions, row, config, side, trace))


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
