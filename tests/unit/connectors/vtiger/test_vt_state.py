"""State round trips, time conversion, the collector and the pacer."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import httpx2
import pytest

from ccsync.connectors.vtiger.changes import _Collector, lookback, to_epoch, to_text, version_of
from ccsync.connectors.vtiger.state import VtigerState, with_written
from ccsync.connectors.vtiger.transport import Pacer
from ccsync.errors import QuotaExhausted

UTC_ZONE = ZoneInfo("UTC")


def test_state_round_trip_and_foreign_state_means_first_run() -> None:
    state = VtigerState(
        who="a", watermark=100, seen={"12x5": (101, "ab12")}, inventory=[9, 3], prefix="12"
    )
    state.inventory = sorted(state.inventory)
    raw = state.dump()
    again = VtigerState.load(raw, "a")
    assert (
        again.watermark == 100
        and again.inventory == [3, 9]
        and again.seen == {"12x5": (101, "ab12")}
    )
    assert VtigerState.load(raw, "b").first_run
    assert VtigerState.load("not json", "a").first_run
    assert VtigerState.load(None, "a").first_run


def test_inventory_add_remove_holds() -> None:
    state = VtigerState()
    for n in (5, 1, 9, 5):
        state.add(n)
    assert state.inventory == [1, 5, 9]
    assert state.remove(5) and not state.remove(5)
    assert state.holds(9) and not state.holds(5)


def test_server_zone_times_round_trip() -> None:
    zone = ZoneInfo("America/New_York")
    epoch = to_epoch("2026-07-01 12:00:00", zone)
    assert epoch == to_epoch("2026-07-01 16:00:00", UTC_ZONE)
    assert to_text(epoch, zone) == "2026-07-01 12:00:00"
    assert to_epoch("garbage", zone) == 0


def test_lookback_only_around_a_dst_change() -> None:
    zone = ZoneInfo("America/New_York")
    fall_back = to_epoch("2026-11-01 06:30:00", UTC_ZONE)
    assert lookback(fall_back, fall_back + 60, zone) == 3600
    summer = to_epoch("2026-07-01 12:00:00", UTC_ZONE)
    assert lookback(summer, summer + 60, zone) == 0
    assert lookback(fall_back, fall_back + 60, UTC_ZONE) == 0


def test_collector_keeps_latest_version_once_and_skips_seen() -> None:
    returned = {"id": "12x1", "modifiedtime": "2026-01-01 00:00:05", "firstname": "Ann"}
    stamp = to_epoch("2026-01-01 00:00:05", UTC_ZONE)
    collector = _Collector({"12x1": version_of(returned, stamp)}, UTC_ZONE)
    collector.offer(dict(returned))  # already returned
    collector.offer({"id": "12x10", "modifiedtime": "2026-01-01 00:00:05"})
    collector.offer({"id": "12x9", "modifiedtime": "2026-01-01 00:00:05"})
    collector.offer({"id": "12x9", "modifiedtime": "2026-01-01 00:00:07"})  # saved again
    assert [r["id"] for r in collector.records()] == ["12x10", "12x9"]
    assert collector.newest == to_epoch("2026-01-01 00:00:07", UTC_ZONE)


def test_a_second_save_in_the_same_second_is_returned() -> None:
    """Same id, same ``modifiedtime``, other content: a new version, never skipped."""
    returned = {"id": "12x1", "modifiedtime": "2026-01-01 00:00:05", "firstname": "Ann"}
    stamp = to_epoch("2026-01-01 00:00:05", UTC_ZONE)
    collector = _Collector({"12x1": version_of(returned, stamp)}, UTC_ZONE)
    collector.offer({**returned, "firstname": "Anna"})
    assert [r["firstname"] for r in collector.records()] == ["Anna"]


def test_pacer_waits_for_the_minute_reset_and_stops_on_the_daily_quota() -> None:
    slept: list[float] = []
    pacer = Pacer(sleep=slept.append)
    import time

    reset = int(time.time()) + 20
    pacer.observe(
        httpx2.Response(
            200, headers={"X-FloodControl-Remaining": "5", "X-FloodControl-Reset": str(reset)}
        )
    )
    pacer.before()
    assert slept == []
    pacer.observe(
        httpx2.Response(
            200, headers={"X-FloodControl-Remaining": "1", "X-FloodControl-Reset": str(reset)}
        )
    )
    pacer.before()
    assert len(slept) == 1 and 15 < slept[0] <= 20
    pacer.observe(httpx2.Response(200, headers={"X-RateLimit-Remaining": "0"}))
    with pytest.raises(QuotaExhausted):
        pacer.before()


def test_ids_the_caller_wrote_join_and_leave_the_inventory() -> None:
    raw = VtigerState(who="a", watermark=100, inventory=[3, 9], prefix="12").dump()
    after = VtigerState.load(with_written(raw, ["12x20"], ["12x3"]), "a")
    assert after.inventory == [9, 20]
    assert with_written(raw, ["11x5"], []) == VtigerState.load(raw, "a").dump()
    first = VtigerState(who="a").dump()
    assert with_written(first, ["12x20"], []) == first


def test_records_the_caller_wrote_lose_their_seen_version() -> None:
    # A person restoring, in the second of our write, the content the read saw before it would
    # match that version and be missed (found by the state machine, seed 11).
    seen = {"12x4": (100, "digest-before"), "12x5": (100, "other")}
    raw = VtigerState(who="a", watermark=99, seen=seen, inventory=[4, 5], prefix="12").dump()
    after = VtigerState.load(with_written(raw, [], [], ["12x4"]), "a")
    assert after.seen == {"12x5": (100, "other")}
    assert after.inventory == [4, 5]
