"""DbDailyBudget on both dialects: atomic concurrent spends, UTC day keys."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta, timezone

from ccsync.store.budget import DbDailyBudget, utc_today

from .conftest import Db

DAY = date(2026, 3, 1)


def test_spends_add_up_per_key_and_day(db: Db) -> None:
    budget = DbDailyBudget(db.sessions)
    assert budget.spent("client-a", DAY) == 0
    assert budget.spend("client-a", DAY) == 1
    assert budget.spend("client-a", DAY, 5) == 6
    assert budget.spend("client-b", DAY, 2) == 2
    assert budget.spend("client-a", DAY + timedelta(days=1)) == 1
    assert budget.spent("client-a", DAY) == 6


def test_concurrent_spends_from_threads_add_up_exactly(db: Db) -> None:
    budget = DbDailyBudget(db.sessions)
    threads_n, spends = 6, 25
    barrier = threading.Barrier(threads_n)
    totals: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        barrier.wait(timeout=10)
        for _ in range(spends):
            total = budget.spend("client", DAY)
            with lock:
                totals.append(total)

    threads = [threading.Thread(target=work) for _ in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert budget.spent("client", DAY) == threads_n * spends
    # Every spend saw a distinct running total: no increment was lost or double counted.
    assert sorted(totals) == list(range(1, threads_n * spends + 1))


def test_day_key_is_the_utc_calendar_day() -> None:
    late_in_new_york = datetime(2026, 3, 1, 22, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert utc_today(late_in_new_york) == date(2026, 3, 2)
    assert utc_today(datetime(2026, 3, 1, 23, 59, 59, tzinfo=UTC)) == date(2026, 3, 1)
    assert utc_today(datetime(2026, 3, 2, 0, 0, tzinfo=UTC)) == date(2026, 3, 2)
