"""The daily API budget of one Constant Contact application, counted per UTC calendar day.

CC resets its 10,000 calls a day at 00:00 UTC, so the counter is keyed by the UTC date (a rolling
24-hour window would be wrong) and shared by every process using the same client id.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import date
from pathlib import Path

from ccsync.connectors.base import DailyBudget

__all__ = ["DailyBudget", "MemoryDailyBudget", "SqliteDailyBudget"]


class MemoryDailyBudget:
    """A budget for one process (used when no shared budget is configured)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, date], int] = {}

    def spend(self, key: str, day: date, n: int = 1) -> int:
        """Add ``n`` calls; returns the total."""
        with self._lock:
            total = self._counts.get((key, day), 0) + n
            self._counts[(key, day)] = total
            return total

    def spent(self, key: str, day: date) -> int:
        """Calls counted so far."""
        with self._lock:
            return self._counts.get((key, day), 0)


_SCHEMA = """CREATE TABLE IF NOT EXISTS api_budget (
    key TEXT NOT NULL, day TEXT NOT NULL, calls INTEGER NOT NULL, PRIMARY KEY (key, day))"""
_UPSERT = """INSERT INTO api_budget (key, day, calls) VALUES (?, ?, ?)
    ON CONFLICT (key, day) DO UPDATE SET calls = calls + excluded.calls RETURNING calls"""


class SqliteDailyBudget:
    """A budget in a SQLite file that several processes share.

    Args:
        path: the database file (created with its table on first use).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None + BEGIN IMMEDIATE: the increment takes the write lock at once.
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 30000")
        return conn

    def spend(self, key: str, day: date, n: int = 1) -> int:
        """Add ``n`` calls atomically; returns the day's total."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute(_UPSERT, (key, day.isoformat(), n)).fetchone()
            conn.execute("COMMIT")
            return int(row[0])
        finally:
            conn.close()

    def spent(self, key: str, day: date) -> int:
        """Calls counted so far."""
        conn = self._connect()
        try:
            sql = "SELECT calls FROM api_budget WHERE key = ? AND day = ?"
            row = conn.execute(sql, (key, day.isoformat())).fetchone()
            return int(row[0]) if row else 0
        finally:
            conn.close()
