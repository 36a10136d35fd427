"""A clock the tests control over HTTP (``/_emulator/clock``).

Freezing time in the test process cannot reach an emulator running as a subprocess, so each
emulator reads time only from its ``Clock``: real UTC time plus an offset, or a frozen instant.
An emulator started with ``--clock`` (and ``--freeze-clock``) starts at that instant, and its
``/_emulator/reset`` goes back to it before seeding, so nothing it does depends on the real date.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class Clock:
    """Wall clock with an adjustable offset and an optional freeze."""

    def __init__(self, start: datetime | None = None, frozen: bool = False) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._frozen: float | None = None
        self._start = start
        # monotonic() counts from the epoch like time(), so a freeze does not jump rate windows
        self._mono_base = time.time() - time.monotonic()
        self._start_frozen = frozen
        self.restart()

    def restart(self) -> None:
        """Back to how the emulator started: its start instant (else real time), frozen or not."""
        with self._lock:
            self._frozen = None
            self._offset = 0.0 if self._start is None else self._start.timestamp() - time.time()
            if self._start_frozen:
                self._frozen = time.time() if self._start is None else self._start.timestamp()

    def time(self) -> float:
        """Seconds since the epoch, as the emulator sees them."""
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return time.time() + self._offset

    def now(self) -> datetime:
        """The emulator's current instant (aware, UTC)."""
        return datetime.fromtimestamp(self.time(), UTC)

    def monotonic(self) -> float:
        """Monotonic seconds for rate windows; follows advances and freezes too."""
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return time.monotonic() + self._mono_base + self._offset

    def set(self, instant: datetime) -> None:
        """Jump to ``instant`` (keeps ticking unless frozen)."""
        with self._lock:
            target = instant.timestamp()
            if self._frozen is not None:
                self._frozen = target
            else:
                self._offset = target - time.time()

    def advance(self, seconds: float) -> None:
        """Move time forward (or back with a negative value)."""
        with self._lock:
            if self._frozen is not None:
                self._frozen += seconds
            else:
                self._offset += seconds

    def freeze(self, frozen: bool) -> None:
        """Stop or restart the clock at the current instant."""
        with self._lock:
            if frozen and self._frozen is None:
                self._frozen = time.time() + self._offset
            elif not frozen and self._frozen is not None:
                self._offset = self._frozen - time.time()
                self._frozen = None

    def snapshot(self) -> dict[str, object]:
        """What ``GET /_emulator/clock`` answers."""
        return {"now": self.now().isoformat(), "frozen": self._frozen is not None}

    def apply(self, body: dict[str, object]) -> None:
        """Apply a control request: ``{"set": iso, "advance": seconds, "freeze": bool}``."""
        if isinstance(body.get("set"), str):
            instant = datetime.fromisoformat(str(body["set"]))
            if instant.tzinfo is None:
                instant = instant.replace(tzinfo=UTC)
            self.set(instant)
        advance = body.get("advance")
        if isinstance(advance, int | float):
            self.advance(float(advance))
        if isinstance(body.get("freeze"), bool):
            self.freeze(bool(body["freeze"]))


def parse_start(text: str | None) -> datetime | None:
    """The ``--clock`` option: an ISO 8601 instant (UTC when it has no offset), or none."""
    if not text:
        return None
    instant = datetime.fromisoformat(text)
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def utc_midnight_after(instant: datetime) -> datetime:
    """The next 00:00 UTC after ``instant``."""
    day = instant.astimezone(UTC).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
