"""The daily Constant Contact API budget as Sync Settings shows and enforces it (sync rule Q4).

Every connector on one Client ID shares CC's 10,000 calls a day. A quiet background run costs
about ``CALLS_PER_QUIET_RUN`` calls (the ``updated_after`` and ``optout_after`` reads plus, at
times, a deletion probe), and each connector refreshes its access token a few times a day. A
frequency whose projection would pass 80% of the quota is refused, naming the highest that fits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ccsync.engine.config import FREQUENCY_LABELS
from ccsync.jobs.local import FREQUENCY_SECONDS

DAILY_QUOTA = 10_000
SHARE_ALLOWED = 0.8
CALLS_PER_QUIET_RUN = 3
TOKEN_CALLS_PER_DAY = 2
DAY_SECONDS = 24 * 3600

# Highest frequency first: the first one that fits is the one to suggest.
FREQUENCY_ORDER = tuple(FREQUENCY_LABELS)


@dataclass(frozen=True, slots=True)
class Usage:
    """One connector's schedule as far as the budget cares."""

    connector_id: int
    client_id: str
    frequency: str
    enabled: bool


def runs_per_day(frequency: str) -> int:
    """Background runs a day at ``frequency`` (0 when off or unknown)."""
    seconds = FREQUENCY_SECONDS.get(frequency)
    return DAY_SECONDS // seconds if seconds else 0


def connector_calls(frequency: str, enabled: bool) -> int:
    """Projected CC calls a day of one connector."""
    if not enabled:
        return 0
    return runs_per_day(frequency) * CALLS_PER_QUIET_RUN + TOKEN_CALLS_PER_DAY


def projected_calls(usages: Iterable[Usage], client_id: str) -> int:
    """Projected CC calls a day of every connector on ``client_id``."""
    return sum(connector_calls(u.frequency, u.enabled) for u in usages if u.client_id == client_id)


@dataclass(frozen=True, slots=True)
class BudgetCheck:
    """The projection with one connector at a candidate frequency."""

    client_id: str
    projected: int
    quota: int
    best: str
    ok: bool

    @property
    def percent(self) -> int:
        """Projected share of the quota, in percent."""
        return round(100 * self.projected / self.quota) if self.quota else 0

    @property
    def best_label(self) -> str:
        """The highest frequency that fits, for people."""
        return FREQUENCY_LABELS.get(self.best, self.best)

    @property
    def per_run(self) -> int:
        """Calls of one quiet run."""
        return CALLS_PER_QUIET_RUN

    @property
    def token_calls(self) -> int:
        """Token refreshes a day per connector."""
        return TOKEN_CALLS_PER_DAY

    def refusal(self) -> str:
        """The sentence shown when ``ok`` is False."""
        return (
            f"That frequency would need about {self.projected} Constant Contact calls a day on "
            f"this Client ID, more than 80% of the {self.quota} allowed. The highest frequency "
            f"that fits is: {self.best_label}."
        )


def check_frequency(
    usages: Iterable[Usage],
    connector_id: int,
    client_id: str,
    frequency: str,
    enabled: bool = True,
    quota: int = DAILY_QUOTA,
) -> BudgetCheck:
    """Project the daily calls with ``connector_id`` at ``frequency`` and judge it.

    Args:
        usages: every connector's current schedule.
        connector_id: the connector being edited (its current usage is replaced).
        client_id: its CC Client ID (the budget key).
        frequency: the candidate Background Sync Frequency.
        enabled: whether its sync is enabled.
        quota: the daily quota of the Client ID.

    Returns:
        The projection, the highest frequency that fits and whether ``frequency`` is allowed.
    """
    others = [u for u in usages if u.connector_id != connector_id and u.client_id == client_id]
    base = projected_calls(others, client_id)
    limit = int(quota * SHARE_ALLOWED)
    best = next((f for f in FREQUENCY_ORDER if base + connector_calls(f, enabled) <= limit), "off")
    projected = base + connector_calls(frequency, enabled)
    return BudgetCheck(client_id, projected, quota, best, projected <= limit or frequency == "off")
