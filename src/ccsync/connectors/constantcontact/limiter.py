"""Request pacing for one Constant Contact application, shared across processes.

CC allows 4 requests a second per application (client id), counted by the server over a sliding
one-second window, and 1 request a second on the token endpoint. The window is strict and our
send times are not the server's arrival times, so we pace at a little under the limit:
``Rate(4, ceil(4000 / rate) ms)`` caps any burst at 4 *and* the long-run speed at ``rate``.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

from pyrate_limiter import InMemoryBucket, Limiter, Rate, SQLiteBucket

SERVER_BURST = 4
TOKEN_INTERVAL_MS = 1100  # the token endpoint takes 1 request/s; keep a margin


def api_rate(rate: float) -> Rate:
    """The pyrate ``Rate`` that keeps bursts at 4 and the mean at ``rate`` requests/s."""
    if rate <= 0:
        raise ValueError("rate must be positive")
    return Rate(SERVER_BURST, math.ceil(SERVER_BURST * 1000 / rate))


class CallLimiter:
    """A blocking limiter keyed by client id; SQLite + file lock when ``path`` is given.

    Args:
        key: the client id (every caller of one CC application shares its bucket).
        rate: a pyrate ``Rate``.
        path: SQLite file shared by processes; None keeps the bucket in this process.
        kind: a name separating buckets in one file (``api`` or ``token``).
    """

    def __init__(self, key: str, rate: Rate, path: Path | None, kind: str) -> None:
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        self._name = f"{kind}_{digest}"
        if path is None:
            bucket: InMemoryBucket | SQLiteBucket = InMemoryBucket([rate])
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            bucket = SQLiteBucket.init_from_file(
                [rate], table=f"cc_{self._name}", db_path=str(path), use_file_lock=True
            )
        self._limiter = Limiter(bucket, buffer_ms=20)

    def acquire(self) -> None:
        """Wait until one more request may go out."""
        self._limiter.try_acquire(self._name, blocking=True)

    def close(self) -> None:
        """Release the bucket's resources."""
        self._limiter.close()


def api_limiter(key: str, rate: float, path: Path | None) -> CallLimiter:
    """The limiter for ``/v3`` calls of the application ``key``."""
    return CallLimiter(key, api_rate(rate), path, "api")


def token_limiter(key: str, path: Path | None) -> CallLimiter:
    """The limiter for token-endpoint calls of the application ``key``."""
    return CallLimiter(key, Rate(1, TOKEN_INTERVAL_MS), path, "token")
