"""Login throttling: exponential backoff per account and per client address, and a cap on
password checks running at once (each scrypt check takes 32 MiB and ~50 ms).

After ``free`` wrong passwords in a row for one account (or from one address) further attempts
wait ``2 ** (failures - free)`` seconds, up to ``max_wait`` seconds; a right password clears the
account's count. The counts live in this process (the web app is one process)::

    throttle = LoginThrottle(free=5, max_wait=900)
    wait = throttle.wait_s(["user:joe", "addr:10.0.0.7"])     # 0 when allowed now
    throttle.failed(["user:joe", "addr:10.0.0.7"])
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

MAX_KEYS = 100_000  # forget the oldest counts beyond this (bounded memory under a spray)


@dataclass(slots=True)
class _Count:
    failures: int
    last: float


class LoginThrottle:
    """Failure counts with exponential backoff."""

    def __init__(
        self, *, free: int, max_wait: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.free = free
        self.max_wait = max_wait
        self.clock = clock
        self._counts: dict[str, _Count] = {}
        self._lock = threading.Lock()

    def _delay(self, failures: int) -> float:
        if failures < self.free:
            return 0.0
        return float(min(self.max_wait, 2 ** (failures - self.free)))

    def wait_s(self, keys: Iterable[str]) -> int:
        """Whole seconds until the next attempt is allowed for all ``keys`` (0: now)."""
        now = self.clock()
        worst = 0.0
        with self._lock:
            for key in keys:
                count = self._counts.get(key)
                if count is not None:
                    worst = max(worst, count.last + self._delay(count.failures) - now)
        return math.ceil(worst) if worst > 0 else 0

    def failed(self, keys: Iterable[str]) -> None:
        """Count a wrong password for every key."""
        now = self.clock()
        with self._lock:
            for key in keys:
                count = self._counts.pop(key, None) or _Count(0, now)
                count.failures += 1
                count.last = now
                self._counts[key] = count  # re-inserted: the dict stays oldest-first
            while len(self._counts) > MAX_KEYS:
                self._counts.pop(next(iter(self._counts)))

    def succeeded(self, keys: Iterable[str]) -> None:
        """Forget the failures of ``keys``."""
        with self._lock:
            for key in keys:
                self._counts.pop(key, None)


class HashingBusy(Exception):
    """Too many password checks are running; the caller answers 503 at once."""


class HashingGate:
    """At most ``limit`` password hashes at once; more are refused at once, not queued."""

    def __init__(self, limit: int) -> None:
        self._slots = threading.BoundedSemaphore(limit)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot while hashing.

        Raises:
            HashingBusy: every slot is taken.
        """
        if not self._slots.acquire(blocking=False):
            raise HashingBusy()
        try:
            yield
        finally:
            self._slots.release()
