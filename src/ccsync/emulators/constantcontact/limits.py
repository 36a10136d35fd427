"""Per-application rate limits: a sliding 1-second window and a daily quota per UTC day.

The window is a pyrate-limiter log bucket fed with timestamps from the emulator clock, so
tests can move through windows and days with ``/_emulator/clock``.
"""

from __future__ import annotations

import threading
from collections import Counter, deque

from pyrate_limiter import InMemoryBucket, Rate, RateItem

from ccsync.emulators.clock import Clock

THROTTLED = {"error_key": "throttled", "error_message": "Too Many Requests"}
QUOTA_EXCEEDED = {"error_key": "quota_exceeded", "error_message": "Limit Exceeded"}


def _rate(per_second: float) -> Rate:
    """``per_second`` as an integer count per window (e.g. 0.5/s → 1 per 2 s)."""
    if per_second >= 1:
        return Rate(int(per_second), 1000)
    return Rate(1, int(1000 / per_second))


class SlidingWindow:
    """Admit at most ``per_second`` requests per key in any 1-second window (``0`` = off)."""

    def __init__(self, clock: Clock, per_second: float) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, InMemoryBucket] = {}
        self.per_second = per_second

    def set_rate(self, per_second: float) -> None:
        """Change the limit (drops the recorded window)."""
        with self._lock:
            self.per_second = per_second
            self._buckets.clear()

    def admit(self, key: str) -> bool:
        """Record one request for ``key``; ``False`` if the window is full."""
        if self.per_second <= 0:
            return True
        now_ms = int(self._clock.monotonic() * 1000)
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = InMemoryBucket([_rate(self.per_second)])
            bucket.leak(now_ms)
            return bool(bucket.put(RateItem(key, now_ms)))


class DailyQuota:
    """Calls per key and UTC calendar day of the emulator clock (``0`` = unlimited)."""

    def __init__(self, clock: Clock, per_day: int) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._used: Counter[tuple[str, str]] = Counter()
        self.per_day = per_day

    def admit(self, key: str) -> bool:
        """Count one call for today; ``False`` once today's quota is used up."""
        day = self._clock.now().date().isoformat()
        with self._lock:
            if self.per_day and self._used[(key, day)] >= self.per_day:
                return False
            self._used[(key, day)] += 1
            return True

    def used_today(self, key: str) -> int:
        """Calls counted for ``key`` on the current UTC day."""
        day = self._clock.now().date().isoformat()
        with self._lock:
            return self._used[(key, day)]

    def clear(self) -> None:
        """Forget every count."""
        with self._lock:
            self._used.clear()


class CallCounters:
    """Requests per ``"METHOD /path/template"`` (``/_emulator/counters``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def count(self, endpoint: str) -> None:
        """Count one request."""
        with self._lock:
            self._counts[endpoint] += 1

    def snapshot(self) -> dict[str, object]:
        """``{"total": int, "by_endpoint": {...}}``."""
        with self._lock:
            return {"total": sum(self._counts.values()), "by_endpoint": dict(self._counts)}

    def clear(self) -> None:
        """Reset to zero."""
        with self._lock:
            self._counts.clear()


class KeyCounters:
    """Per application (client id): calls admitted, refused by the 1-second window
    (``throttled``) or by the daily quota, and the most calls admitted in any 1-second window
    (``peak_per_second``, on the emulator clock) — what proves that several clients together
    kept to the limit."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: dict[str, Counter[str]] = {}
        self._recent: dict[str, deque[float]] = {}
        self._peak: Counter[str] = Counter()

    def record(self, key: str, outcome: str) -> None:
        """Count one ``/v3`` call of ``key``: ``admitted``, ``throttled`` or ``quota_exceeded``."""
        now = self._clock.monotonic()
        with self._lock:
            self._counts.setdefault(key, Counter())[outcome] += 1
            if outcome != "admitted":
                return
            recent = self._recent.setdefault(key, deque())
            recent.append(now)
            while recent and recent[0] <= now - 1.0:
                recent.popleft()
            self._peak[key] = max(self._peak[key], len(recent))

    def snapshot(self) -> dict[str, dict[str, int]]:
        """``{client_id: {"admitted", "throttled", "quota_exceeded", "peak_per_second"}}``."""
        with self._lock:
            return {
                key: {
                    "admitted": counts["admitted"],
                    "throttled": counts["throttled"],
                    "quota_exceeded": counts["quota_exceeded"],
                    "peak_per_second": self._peak[key],
                }
                for key, counts in self._counts.items()
            }

    def clear(self) -> None:
        """Reset to zero."""
        with self._lock:
            self._counts.clear()
            self._recent.clear()
            self._peak.clear()
