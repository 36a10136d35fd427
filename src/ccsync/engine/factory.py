"""Build both connectors of a stored connector row.

Tokens live in the store (``DbTokenStore``), the CC daily budget is shared by every connector
of one CC application (``DbDailyBudget`` keyed by the client id), the 4/s limiter is a file in
the data directory (shared across processes); ``cc.rate``, ``cc.daily_quota`` and ``cc.retry``
in the settings tune the limiter, the budget and the retry bounds. In Debug Mode (on, and
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
from ccsync.connectors.constantcontact.settings import RetryTuning
from ccsync.connectors.trace import TraceEntry, TraceSink
from ccsync.connectors.vtiger.connector import VtigerConnector
from ccsync.engine.config import load_config
from ccsync.settings import AppSettings
from ccsync.store.budget import DbDailyBudget
from ccsync.store.repos import ConnectorRow
from ccsync.store.tokens import DbTokenStore

LIMITER_FILE = "cc-limiter.sqlite"


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


def build_cc(
    settings: AppSettings,
    sessions: sessionmaker[Session],
    row: ConnectorRow,
    trace: TraceSink | None = None,
) -> ConstantContactConnector:
    """The Constant Contact connector of ``row`` with the shared limiter and budget."""
    config = load_config(row).cc
    tokens = DbTokenStore(sessions, row.id, settings.data_dir)
    return ConstantContactConnector(
        config.runtime(),
        tokens,
        budget=DbDailyBudget(sessions),
        limiter_path=Path(settings.data_dir) / LIMITER_FILE,
        rate=config.rate,
        daily_quota=config.daily_quota,
        trace=trace,
        retry_policy=_retry_policy(config.retry),
    )


def build_crm(
    settings: AppSettings, row: ConnectorRow, trace: TraceSink | None = None
) -> VtigerConnector:
    """The Vtiger connector of ``row`` (login lock and describe cache in the data dir)."""
    config = load_config(row)
    state_dir = Path(settings.data_dir) / "vtiger" / str(row.id)
    state_dir.mkdir(parents=True, exist_ok=True)
    # The extended rows map the company (account_id): show and accept the organisation's name.
    vtiger = config.crm.runtime(resolve_accounts=config.sync.extended_mapping)
    return VtigerConnector(vtiger, state_dir=state_dir, trace=trace)


def _retry_policy(tuning: RetryTuning | None) -> RetryPolicy | None:
    """Operator tuning of the CC retry bounds (``cc.retry`` in the settings), if any."""
    if tuning is None:
        return None
    return RetryPolicy(**tuning.model_dump(exclude_none=True))
