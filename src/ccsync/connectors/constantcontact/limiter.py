"""Request pacing for one Constant Contact application, shared across processes and machines.

CC allows 4 requests a second per application (client id), counted by the server over a sliding
one-second window, and 1 request a second on the token endpoint. The window is strict and our
send times are not the server's arrival times, so we pace at a little under the limit:
``Rate(4, ceil(4000 / rate) ms)`` caps any burst at 4 *and* the long-run speed at ``rate``.

Where the bucket lives decides who shares it:

* in this process (no path, no URL): tests and one-off tools;
* a SQLite file with a file lock (``path``): every process of one machine (the embedded default);
* PostgreSQL (``url``): every process on every machine using that database — the scale-out
  setup, where any number of ``ccsync worker`` processes draw from one 4/s per application.
  It is pyrate-limiter's ``PostgresBucket``: each admission locks the bucket's table, counts
  the window and inserts, in one transaction, with the database's clock as the one clock of
  every machine. One connection pool per process and database serves every bucket.
"""

from __future__ import annotations

import hashlib
import math
import threading
from pathlib import Path

from psycopg_pool import ConnectionPool
from pyrate_limiter import InMemoryBucket, Limiter, PostgresBucket, Rate, SQLiteBucket

SERVER_BURST = 4
TOKEN_INTERVAL_MS = 1100  # the token endpoint takes 1 request/s; keep a margin
POOL_MAX = 8

_pools: dict[str, ConnectionPool] = {}
_pools_lock = threading.Lock()


def api_rate(rate: float) -> Rate:
    """The pyrate ``Rate`` that keeps bursts at 4 and the mean at ``rate`` requests/s."""
    if rate <= 0:
        raise ValueError("rate must be positive")
    return Rate(SERVER_BURST, math.ceil(SERVER_BURST * 1000 / rate))


def shared_pool(url: str) -> ConnectionPool:
    """This process's connection pool to the PostgreSQL database ``url`` (libpq form)."""
    with _pools_lock:
        pool = _pools.get(url)
        if pool is None or pool.closed:
            pool = ConnectionPool(url, min_size=1, max_size=POOL_MAX, open=True, name="limiter")
            _pools[url] = pool
        return pool


def close_pools() -> None:
    """Close every pool of this process (at the end of a worker, or of a test)."""
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.close()


class _PooledBucket(PostgresBucket):
    """A ``PostgresBucket`` on the process-wide pool: closing the bucket keeps the pool."""

    def close(self) -> None:
        """Nothing to release: the pool is shared (``close_pools`` ends it)."""


class CallLimiter:
    """A blocking limiter keyed by client id, shared as widely as its storage.

    Args:
        key: the client id (every caller of one CC application shares its bucket).
        rate: a pyrate ``Rate``.
        path: SQLite file shared by the processes of this machine.
        kind: a name separating buckets in one store (``api`` or ``token``).
        url: PostgreSQL database (libpq URL) shared by every machine; wins over ``path``.
    """

    def __init__(
        self, key: str, rate: Rate, path: Path | None, kind: str, url: str | None = None
    ) -> None:
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        self._name = f"{kind}_{digest}"
        bucket: InMemoryBucket | SQLiteBucket | PostgresBucket
        if url is not None:
            bucket = _PooledBucket(shared_pool(url), f"cc_{self._name}", [rate])
        elif path is None:
            bucket = InMemoryBucket([rate])
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


def api_limiter(key: str, rate: float, path: Path | None, url: str | None = None) -> CallLimiter:
    """The limiter for ``/v3`` calls of the application ``key``."""
    return CallLimiter(key, api_rate(rate), path, "api", url)


def token_limiter(key: str, path: Path | None, url: str | None = None) -> CallLimiter:
    """The limiter for token-endpoint calls of the application ``key``."""
    return CallLimiter(key, Rate(1, TOKEN_INTERVAL_MS), path, "token", url)
