"""DbTokenStore on both dialects: compare-and-swap, encryption, the cross-process refresh lock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from ccsync.connectors.constantcontact.tokens import TokenSet
from ccsync.store.tokens import DbTokenStore

from . import workers
from .conftest import Db

EXPIRES = datetime(2026, 3, 1, 13, 0, tzinfo=UTC)


def _tokens(n: int) -> TokenSet:
    return TokenSet(f"access-{n}", f"refresh-{n}", EXPIRES + timedelta(hours=n), "contact_data")


def _store(db: Db) -> DbTokenStore:
    return DbTokenStore(db.sessions, db.connector_id, db.data_dir)


def test_swap_versions_and_clear(db: Db) -> None:
    store = _store(db)
    assert store.load() is None
    first = store.swap(None, _tokens(1))
    assert first is not None and first.version == 1
    assert store.swap(None, _tokens(9)) is None  # something is stored already
    assert store.swap(0, _tokens(9)) is None  # stale version
    second = store.swap(1, _tokens(2))
    assert second is not None and second.version == 2
    loaded = store.load()
    assert loaded == second
    assert loaded.expires_at == EXPIRES + timedelta(hours=2) and loaded.expires_at.tzinfo
    assert "access-2" not in repr(loaded) and "refresh" not in repr(store)
    store.clear()
    assert store.load() is None
    assert store.swap(None, _tokens(3)) is not None  # a new sign-in after revoke


def test_two_threads_swapping_from_one_version_exactly_one_wins(db: Db) -> None:
    store = _store(db)
    assert store.swap(None, _tokens(1)) is not None
    barrier = threading.Barrier(2)
    results: dict[int, TokenSet | None] = {}

    def refresh(n: int) -> None:
        mine = DbTokenStore(db.sessions, db.connector_id, db.data_dir)
        barrier.wait(timeout=10)
        results[n] = mine.swap(1, _tokens(n))

    threads = [threading.Thread(target=refresh, args=(n,)) for n in (2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    winners = [n for n, stored in results.items() if stored is not None]
    assert len(results) == 2 and len(winners) == 1
    loaded = store.load()
    assert loaded is not None and loaded.version == 2
    assert loaded.refresh_token == f"refresh-{winners[0]}"


def test_refresh_lock_excludes_another_process(db: Db) -> None:
    tried, released = workers.new_event(), workers.new_event()
    args = (db.url, db.keys, db.connector_id, str(db.data_dir), tried, released)
    with _store(db).refresh_lock():
        child = workers.Running(workers.refresh_lock_twice, [args])
        assert tried.wait(timeout=60)
    released.set()
    assert child.results() == [["busy", "acquired"]]


def test_refresh_lock_is_per_connector_and_reusable(db: Db) -> None:
    store = DbTokenStore(db.sessions, db.connector_id, db.data_dir, lock_timeout=0.2)
    other = DbTokenStore(db.sessions, db.connector_id + 1, db.data_dir, lock_timeout=0.2)
    with store.refresh_lock(), other.refresh_lock():
        pass  # a different connector's lock is independent
    for _ in range(3):
        with store.refresh_lock():
            pass
