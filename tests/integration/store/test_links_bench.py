"""Benchmark: storing and streaming 100,000 link pairs (``pytest -m bench``)."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from ccsync.store import repos
from ccsync.store.repos import LinkWrite

from .conftest import Db

N = 100_000
SNAPSHOT = {
    "firstname": "Ann",
    "lastname": "Example",
    "email": "ann.example@example.com",
    "phone": "+4930123456",
    "mailingcity": "Berlin",
    "emailoptout": "0",
}


def _stream_count(db: Db) -> int:
    with db.sessions() as session:
        return sum(1 for _ in repos.iter_links(session, db.connector_id))


@pytest.mark.bench
def test_100k_links_upsert_and_stream(db: Db) -> None:
    writes = (LinkWrite(f"12x{i}", f"cc-{i:08d}", SNAPSHOT, SNAPSHOT) for i in range(N))
    started = time.perf_counter()
    with db.sessions.begin() as session:
        assert repos.upsert_links(session, db.connector_id, writes) == N
    upsert_s = time.perf_counter() - started

    started = time.perf_counter()
    assert _stream_count(db) == N
    stream_s = time.perf_counter() - started

    tracemalloc.start()  # a second pass: tracing slows the loop, so it is not timed
    assert _stream_count(db) == N
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(
        f"\n{db.engine.dialect.name}: upsert {N} links {upsert_s:.2f}s "
        f"({N / upsert_s:,.0f}/s); stream {stream_s:.2f}s ({N / stream_s:,.0f}/s), "
        f"peak {peak / 1e6:.1f} MB while streaming"
    )
