"""Vtiger Cloud's API quotas: per minute, hour and day, with the usage headers and 429.

Windows are fixed (the minute, the hour, the UTC day) on the emulator clock; 0 turns a window
off. The vendor calls the daily window "rolling"; a fixed day is a documented simplification.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ccsync.emulators.clock import Clock

_SPANS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass
class Quota:
    """Counts calls per window and answers whether one more is allowed."""

    clock: Clock
    minute: int
    hour: int
    day: int
    _used: dict[tuple[str, int], int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def limits(self) -> dict[str, int]:
        """Window name → limit (0 = off)."""
        return {"minute": self.minute, "hour": self.hour, "day": self.day}

    def take(self) -> tuple[bool, list[tuple[str, str]]]:
        """Count one call if every window has room; returns (allowed, usage headers)."""
        now = self.clock.time()
        with self._lock:
            keys = {name: (name, int(now // span)) for name, span in _SPANS.items()}
            current = set(keys.values())
            self._used = {k: v for k, v in self._used.items() if k in current}
            allowed = all(
                limit == 0 or self._used.get(keys[name], 0) < limit
                for name, limit in self.limits().items()
            )
            if allowed:
                for key in keys.values():
                    self._used[key] = self._used.get(key, 0) + 1
            return allowed, self._headers(keys, now)

    def _headers(self, keys: dict[str, tuple[str, int]], now: float) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = []
        if self.minute:
            left = max(0, self.minute - self._used.get(keys["minute"], 0))
            reset = (int(now // 60) + 1) * 60
            headers += [
                ("X-FloodControl-MinuteLimit", str(self.minute)),
                ("X-FloodControl-Remaining", str(left)),
                ("X-FloodControl-Reset", str(reset)),
            ]
        if self.day:
            left = max(0, self.day - self._used.get(keys["day"], 0))
            headers += [
                ("X-RateLimit-DailyLimit", str(self.day)),
                ("X-RateLimit-Remaining", str(left)),
            ]
        return headers

    def reset(self) -> None:
        """Forget every call counted."""
        with self._lock:
            self._used.clear()
