"""Build both connectors of a stored connector row.

Tokens live in the store (``DbTokenStore``), the CC daily budget is shared by every connector
of one CC application (``DbDailyBudget`` keyed by the client id; a first sync leaves a reserve
of it to the quiet runs), the 4/s limiter is a file in the data directory (shared across
processes) or, on PostgreSQL, a table there (shared across machines); ``cc_rate``,
``cc_daily_quota`` and ``cc_retry`` in the settings JSON tune the limiter, the budget and the
retry bounds. In Debug Mode (on, and
not expired) every request/response goes to ``debug_log`` redacted.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from ccsync.connectors.constantcontact.client import RetryPolicy
from ccsync.connectors.constantcontact.connector import ConstantContactConnector
from ccsync.connectors.constantcontact.settings import CCSettings
from ccsync.connectors.trace import TraceEntry, TraceSink
from ccsync.connectors.vtiger.connector import VtigerConnector
from ccsync.connectors.vtiger.settings import VtigerSettings
from ccsync.engine.config import ConnectorConfig
from ccsync.errors import ConfigError
from ccsync.settings import AppSettings
from ccsync.store.budget import DbDailyBudget, budget_ceiling
from ccsync.store.repos import ConnectorRow
from ccsync.store.tokens import DbTokenStore

LIMITER_FILE = "cc-limiter.sqlite"
DEFAULT_CC_RATE = 3.8
SHARED_CC_RATE = 3.2
"""The pace on PostgreSQL, where workers on several machines share the bucket: CC counts 4 per
second by *arrival*, and the time from admission to arrival varies more between machines than
within one (4 per 1.25 s leaves a quarter of a second for it)."""
DEFAULT_CC_QUOTA = 10000


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


def cc_settings(row: ConnectorRow, config: ConnectorConfig) -> CCSettings:
    """The Constant Contact connector settings of ``row``."""
    if not config.cc_client_id:
        raise ConfigError("the connector has no Constant Contact client id")
    return CCSettings(
        client_id=config.cc_client_id,
        client_secret=row.client_secret or "",
        redirect_uri=config.cc_redirect_uri,
        auth_url=config.cc_auth_url,
        token_url=config.cc_token_url,
        revoke_url=config.cc_revoke_url or None,
        api_base_url=config.cc_api_url.rstrip("/"),
        scopes=config.cc_scopes,
        pkce=config.pkce,
        target_list=config.target_list,
        scope=config.cc_scope,
    )


def vtiger_settings(row: ConnectorRow, config: ConnectorConfig) -> VtigerSettings:
    """The Vtiger connector settings of ``row`` (raises ``ConfigError`` when incomplete)."""
    return VtigerSettings(
        url=config.vtiger_url,
        username=config.vtiger_username,
        access_key=row.vtiger_access_key or "",
        flavour=config.vtiger_flavour,
        scope=config.crm_scope,
        timezone=config.vtiger_timezone,
        resolve_accounts=config.extended_mapping,  # the company row maps account_id
    )


def build_cc(
    settings: AppSettings,
    sessions: sessionmaker[Session],
    row: ConnectorRow,
    trace: TraceSink | None = None,
) -> ConstantContactConnector:
    """The Constant Contact connector of ``row`` with the shared limiter and budget (in
    PostgreSQL, shared by every machine, when the store is there)."""
    config = ConnectorConfig.from_dict(row.settings)
    tokens = DbTokenStore(sessions, row.id, settings.data_dir)
    quota = int(_float_setting(row, "cc_daily_quota", DEFAULT_CC_QUOTA))
    return ConstantContactConnector(
        cc_settings(row, config),
        tokens,
        budget=DbDailyBudget(sessions),
        limiter_path=Path(settings.data_dir) / LIMITER_FILE,
        limiter_url=settings.postgres_dsn,
        rate=_float_setting(
            row, "cc_rate", SHARED_CC_RATE if settings.is_postgresql else DEFAULT_CC_RATE
        ),
        daily_quota=budget_ceiling(sessions, row.id, quota),
        trace=trace,
        retry_policy=_retry_policy(row),
    )


def build_crm(
    settings: AppSettings, row: ConnectorRow, trace: TraceSink | None = None
) -> VtigerConnector:
    """The Vtiger connector of ``row`` (login lock and describe cache in the data dir)."""
    config = ConnectorConfig.from_dict(row.settings)
    state_dir = Path(settings.data_dir) / "vtiger" / str(row.id)
    state_dir.mkdir(parents=True, exist_ok=True)
    return VtigerConnector(vtiger_settings(row, config), state_dir=state_dir, trace=trace)


def _retry_policy(row: ConnectorRow) -> RetryPolicy | None:
    """Operator tuning of the CC retry bounds (``cc_retry`` in the settings JSON), if any."""
    raw = row.settings.get("cc_retry")
    if not isinstance(raw, dict):
        return None
    known = {"attempts", "max_delay", "first_wait", "max_wait", "activity_timeout"}
    return RetryPolicy(**{k: v for k, v in raw.items() if k in known})


def _float_setting(row: ConnectorRow, key: str, default: float) -> float:
    value = row.settings.get(key, default)
    return float(value) if isinstance(value, int | float) else default
