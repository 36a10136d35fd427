"""Loaded by every Python process of ``scripts/test-future`` (through ``PYTHONPATH``).

Debian's libfaketime 0.9.10 moves the date for us, but with ``FAKETIME_DONT_FAKE_MONOTONIC=1``
its ``clock_nanosleep`` wrapper turns Python's absolute monotonic deadline into an invalid one, so
``time.sleep`` raises ``OSError: [Errno 22]``; and with the monotonic clock faked, every timed
wait (``Event.wait``, ``Lock.acquire(timeout=...)``) hangs, as glibc's ``sem_clockwait`` is not
wrapped. Sleeping through a timed wait on the real monotonic clock avoids both.
"""

from __future__ import annotations

import threading
import time


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    threading.Event().wait(seconds)


time.sleep = _sleep
