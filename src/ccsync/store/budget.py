"""The shared daily API budget in the database (``api_budget``: key, UTC day → calls).

Implements ``ccsync.connectors.base.DailyBudget`` for every process that shares
the store, so all connectors of one Constant Contact application draw from one 10,000-call day.
Each spend is one atomic upsert (``ON CONFLICT … DO UPDATE SET calls = calls + n RETURNING``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ccsync.store.models import ApiBudget
from ccsync.store.repos.connectors import get_state
from ccsync.store.upsert import dialect_insert

QUIET_RESERVE = 0.1
"""Share of an application's daily budget that only incremental runs may spend: a first sync
(of any size) stops at ``quota × (1 - QUIET_RESERVE)``, so it never starves the quiet runs of
the other connectors on the same key for the rest of the UTC day."""


def first_sync(sessions: sessionmaker[Session], connector_id: int) -> bool:
    """Whether the connector's next run is its first (a side has no stored change state)."""
    with sessions() as session:
        return any(get_state(session, connector_id, side) is None for side in ("crm", "cc"))


def budget_share(sessions: sessionmaker[Session], connector_id: int) -> float:
    """The share of its daily quota the connector's next run may bring its key up to (a first
    sync leaves ``QUIET_RESERVE`` of the day to the quiet runs)."""
    return 1 - QUIET_RESERVE if first_sync(sessions, connector_id) else 1.0


def utc_today(now: datetime | None = None) -> date:
    """The UTC calendar day of ``now`` (default: this instant) — the budget's day key."""
    return (now or datetime.now(UTC)).astimezone(UTC).date()


class DbDailyBudget:
    """Calls per key and UTC day, shared through the database.

    Args:
        sessions: the store's session factory.
    """

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def __repr__(self) -> str:
        return "DbDailyBudget()"

    def spend(self, key: str, day: date, n: int = 1) -> int:
        """Add ``n`` calls to ``key`` on ``day``.

        Args:
            key: the budget key (a CC client id).
            day: the UTC calendar day (see ``utc_today``).
            n: calls to add.

        Returns:
            The day's total after adding.
        """
        with self._sessions.begin() as session:
            stmt = dialect_insert(session, ApiBudget).values(key=key, day=day, calls=n)
            upsert = stmt.on_conflict_do_update(
                index_elements=[ApiBudget.key, ApiBudget.day],
                set_={"calls": ApiBudget.calls + stmt.excluded.calls},
            )
            return int(session.execute(upsert.returning(ApiBudget.calls)).scalar_one())

    def spent(self, key: str, day: date) -> int:
        """Calls counted for ``key`` on ``day`` (0 when none)."""
        with self._sessions() as session:
            stmt = select(ApiBudget.calls).where(ApiBudget.key == key, ApiBudget.day == day)
            return int(session.scalar(stmt) or 0)
