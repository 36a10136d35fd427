"""The daily API budget per Constant Contact application (the email-marketing side's
``budget_key``: its client id) as operators read it (``ccsync
budget``, ``/metrics``): calls today per connector, what is left, and whether the configured
Background Sync Frequencies fit in a day.

Calls today come from two places: the application's shared counter (``api_budget``, every call
of every process, exact) and each connector's runs started since 00:00 UTC (per connector and
side). A connector's cost per background run is measured from its recent quiet runs (the
incremental runs after its first sync), or assumed ``QUIET_RUN_CALLS`` before it has any.
When the projection passes ``SHARE_ALLOWED`` of the quota, the report names the highest
frequency at which every connector of the application still fits (the achievable frequency)::

    for key in budget_report(sessions, datetime.now(UTC)):
        print(key.client_id, key.spent_today, key.left, key.fits, key.achievable)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from statistics import median

from sqlalchemy.orm import Session, sessionmaker

from ccsync.engine.config import FREQUENCIES, load_config
from ccsync.errors import ConfigError
from ccsync.store.budget import DbDailyBudget
from ccsync.store.repos.connectors import list_connectors
from ccsync.store.repos.runs import calls_since, list_runs

SHARE_ALLOWED = 0.8  # leave a fifth of the day for Sync Now, first syncs and retries
QUIET_RUN_CALLS = 3  # the updated_after and optout_after reads, and at times a deletion probe
TOKEN_CALLS_PER_DAY = 2
RECENT_RUNS = 20
DAY_MINUTES = 24 * 60
_FASTEST_FIRST = sorted((m, f) for f, m in FREQUENCIES.items() if m)


@dataclass(slots=True)
class ConnectorBudget:
    """One connector's share of its application's day."""

    connector_id: int
    name: str
    frequency: str
    scheduled: bool
    calls_today: dict[str, int]
    per_run: float
    measured: bool

    @property
    def runs_per_day(self) -> int:
        """Background runs a day at its frequency (0 when it has none)."""
        minutes = FREQUENCIES.get(self.frequency, 0)
        return DAY_MINUTES // minutes if self.scheduled and minutes else 0

    @property
    def projected(self) -> int:
        """Projected CC calls a day of its background runs and token refreshes."""
        if not self.runs_per_day:
            return 0
        return round(self.runs_per_day * self.per_run) + TOKEN_CALLS_PER_DAY


@dataclass(slots=True)
class KeyBudget:
    """One CC application (client id): its quota, today's spend and the projection."""

    client_id: str
    quota: int
    spent_today: int
    connectors: list[ConnectorBudget] = field(default_factory=list)

    @property
    def left(self) -> int:
        """Calls left today (UTC)."""
        return max(0, self.quota - self.spent_today)

    @property
    def projected(self) -> int:
        """Projected calls a day at the configured frequencies."""
        return sum(c.projected for c in self.connectors)

    @property
    def allowed(self) -> int:
        """The part of the quota background runs may plan to use."""
        return int(self.quota * SHARE_ALLOWED)

    @property
    def fits(self) -> bool:
        """Whether the configured frequencies fit in the allowed part of the day."""
        return self.projected <= self.allowed

    @property
    def achievable(self) -> str:
        """The highest frequency at which every scheduled connector fits (``off`` if none)."""
        scheduled = [c for c in self.connectors if c.scheduled and c.frequency != "off"]
        if not scheduled:
            return "off"
        per_round = sum(c.per_run for c in scheduled)
        budget = self.allowed - TOKEN_CALLS_PER_DAY * len(scheduled)
        for minutes, name in _FASTEST_FIRST:
            if budget > 0 and (DAY_MINUTES // minutes) * per_round <= budget:
                return name
        return "off"


def utc_midnight(now: datetime) -> datetime:
    """00:00 UTC of ``now``'s UTC day (when CC's daily quota restarts)."""
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _per_run(session: Session, connector_id: int) -> tuple[float, bool]:
    quiet = [
        int(r.calls.get("cc", 0))
        for r in list_runs(session, connector_id, limit=RECENT_RUNS)
        if r.status == "succeeded" and not r.first_run and isinstance(r.calls.get("cc"), int)
    ]
    return (float(median(quiet)), True) if quiet else (float(QUIET_RUN_CALLS), False)


def budget_report(sessions: sessionmaker[Session], now: datetime) -> list[KeyBudget]:
    """Every CC application of the installation with today's spend and the projection."""
    midnight = utc_midnight(now)
    spent = DbDailyBudget(sessions)
    keys: dict[str, KeyBudget] = {}
    with sessions() as session:
        today = calls_since(session, midnight)
        for row in list_connectors(session):
            try:
                config = load_config(row)
            except ConfigError:
                continue  # settings that do not load: its runs fail and say why
            app = config.cc.budget_key()
            if not app:
                continue
            key = keys.setdefault(app, KeyBudget(app, 0, spent.spent(app, midnight.date())))
            key.quota = max(key.quota, config.cc.budget_quota())
            per_run, measured = _per_run(session, row.id)
            key.connectors.append(
                ConnectorBudget(
                    row.id,
                    row.name,
                    config.sync.frequency,
                    config.sync.contacts_enabled,
                    today.get(row.id, {"crm": 0, "cc": 0}),
                    per_run,
                    measured,
                )
            )
    return list(keys.values())
