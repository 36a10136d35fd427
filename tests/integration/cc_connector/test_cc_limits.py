"""Quota, throttling, faults and the shared 4/s limiter (sync rule Q4)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ccsync.connectors.constantcontact.budget import SqliteDailyBudget
from ccsync.connectors.constantcontact.connector import ConstantContactConnector
from ccsync.connectors.trace import TraceEntry
from ccsync.errors import QuotaExhausted, RetriableError

from .ccemu import Emulator, connector_for, start_emulator

CONTACTS = "GET /v3/contacts"


@pytest.fixture
def cc(emu: Emulator, tmp_path: Path) -> Iterator[ConstantContactConnector]:
    emu.post("/faults", {"rules": []})
    connector = connector_for(emu, tmp_path)
    yield connector
    connector.close()
    emu.post("/faults", {"rules": []})


def _midnight_after(instant: datetime) -> datetime:
    day = instant.astimezone(UTC).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def test_server_quota_stops_at_once_until_midnight(
    emu: Emulator, cc: ConstantContactConnector
) -> None:
    """Sync rule Q4: quota_exceeded pauses until 00:00 UTC and is never retried."""
    quota = {"error_key": "quota_exceeded", "error_message": "Limit Exceeded"}
    emu.faults(
        [
            {
                "kind": "status",
                "status": 429,
                "body": quota,
                "count": 1,
                "path_prefix": "/v3/contacts",
            }
        ]
    )
    emu.clear_counters()
    with pytest.raises(QuotaExhausted) as info:
        list(cc.read_all())
    assert info.value.resets_at == _midnight_after(emu.now())
    assert emu.counters()["total"] == 1


def test_local_daily_budget_is_shared_and_stops_before_the_server(
    emu: Emulator, tmp_path: Path
) -> None:
    """Sync rule Q4: one UTC-day budget for all connectors of the app, checked before sending."""
    budget = SqliteDailyBudget(tmp_path / "budget.sqlite")
    first = connector_for(emu, tmp_path / "a", budget=budget, daily_quota=3)
    second = connector_for(emu, tmp_path / "b", budget=budget, daily_quota=3)
    try:
        emu.clear_counters()
        first.account_identity()
        first.account_identity()
        second.account_identity()
        with pytest.raises(QuotaExhausted) as info:
            second.account_identity()
        assert info.value.resets_at == _midnight_after(emu.now())
        assert emu.counters()["total"] == 3
        assert budget.spent("ccsync-demo-client", emu.now().date()) == 3
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize(
    "rule",
    [
        pytest.param({"kind": "status", "status": 429,
                      "body": {"error_key": "throttled", "error_message": "Too Many Requests"}},
                     id="throttled"),
        pytest.param({"kind": "status", "status": 503}, id="503"),
        pytest.param({"kind": "status", "status": 500, "body": [{"error_key": "x"}]}, id="500"),
        pytest.param({"kind": "drop"}, id="dropped-connection"),
    ],
)  # fmt: skip
def test_transient_failures_are_retried(
    emu: Emulator, cc: ConstantContactConnector, rule: dict[str, object]
) -> None:
    """Style lesson 4: throttling, 5xx and dropped connections are retried, bounded."""
    emu.faults([{**rule, "count": 2, "method": "GET", "path_prefix": "/v3/contacts"}])
    emu.clear_counters()
    records = list(cc.read_all())
    assert len(records) == len(emu.all_contacts())
    pages = math.ceil(len(records) / 500)
    assert emu.endpoint_count(CONTACTS) == pages + 2  # two failures, then every page


def test_retries_are_bounded(emu: Emulator, cc: ConstantContactConnector) -> None:
    """A storm of 503s ends in a RetriableError after the policy's attempts, not a loop."""
    emu.faults([{"kind": "status", "status": 503, "count": 50, "path_prefix": "/v3/contacts"}])
    emu.clear_counters()
    with pytest.raises(RetriableError):
        list(cc.read_all())
    assert emu.endpoint_count(CONTACTS) == cc.client.policy.attempts


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    path = tmp_path_factory.mktemp("limited")
    emulator = start_emulator(path, "--seed-contacts", "600", "--rate-limit", "4")
    yield emulator
    emulator.stop()


def test_real_four_per_second_limit_never_surfaces(limited: Emulator, tmp_path: Path) -> None:
    """Acceptance: two connectors of one application share the limiter; no 429 reaches a caller."""
    statuses: list[int | None] = []

    def record(entry: TraceEntry) -> None:
        statuses.append(entry.status)

    made = [connector_for(limited, tmp_path / n, rate=3.8, trace=record) for n in ("one", "two")]
    ids = [c["contact_id"] for c in limited.all_contacts()[:8]]
    results: list[int] = []

    def work(cc: ConstantContactConnector) -> None:
        results.append(len(list(cc.read_all())) + len(cc.get_many(ids)))

    limited.clear_counters()
    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(cc,)) for cc in made]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    for cc in made:
        cc.close()
    calls = 2 * (2 + 8)  # two pages of 500 and eight single reads each
    assert results == [600 + 8, 600 + 8]  # no error reached the callers
    throttled = statuses.count(429)
    # The pacing leaves 53 ms per second of margin against the server's sliding window; on a
    # loaded machine a late-delivered request can still land in the same window, and then the
    # retry absorbs it (seen twice in one run on a loaded machine under faketime). Two limiters
    # that were not shared would send 7.6 requests/s against 4/s: about half of the 20 calls
    # (10) would be throttled, far above this bound.
    assert throttled <= 3, statuses
    assert len(statuses) == limited.counters()["total"] == calls + throttled
    assert elapsed >= (calls - 4) / 4.0  # paced, not bursting
