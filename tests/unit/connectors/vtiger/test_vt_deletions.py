"""Bisection finds exactly the missing ids within the promised number of calls."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccsync.connectors.vtiger.deletions import Bisection, InventoryMismatch


class FakeServer:
    """Counts over a set of live numbers, as ``count(*)`` over id ranges would."""

    def __init__(self, live: set[int]) -> None:
        self.live = live
        self.calls = 0

    def count_range(self, low: int, high: int) -> int:
        self.calls += 1
        return sum(1 for n in self.live if low <= n <= high)

    def present(self, numbers: Sequence[int]) -> dict[int, str]:
        self.calls += 1
        return {n: "19x1" for n in numbers if n in self.live}

    def count_upto(self, high: int) -> int:
        self.calls += 1
        return sum(1 for n in self.live if n <= high)


def _run(inventory: list[int], live: set[int]) -> tuple[list[int], int]:
    server = FakeServer(live)
    total = server.count_upto(inventory[-1])
    missing = Bisection(server.count_range, server.present).run(inventory, total)
    return missing, server.calls


def test_five_deletions_among_ten_thousand_within_budget() -> None:
    inventory = list(range(3, 3 + 2 * 10_000, 2))
    deleted = {inventory[7], inventory[2_500], inventory[2_501], inventory[6_000], inventory[-1]}
    missing, calls = _run(inventory, set(inventory) - deleted)
    assert missing == sorted(deleted)
    assert calls <= 5 * math.ceil(math.log2(10_000)) + 2


def test_no_deletion_costs_one_count() -> None:
    inventory = list(range(1, 10_001))
    missing, calls = _run(inventory, set(inventory))
    assert missing == [] and calls == 1


def test_unknown_record_in_a_range_is_a_mismatch() -> None:
    inventory = [10, 20, 30, 40]
    server = FakeServer({10, 25, 40})  # 20 and 30 deleted, 25 never seen by the feed
    bisection = Bisection(server.count_range, server.present)
    with pytest.raises(InventoryMismatch):
        bisection.run(inventory, server.count_upto(40))


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(min_value=1, max_value=3_000),
    picks=st.lists(st.integers(min_value=0, max_value=10_000), max_size=12),
)
def test_bisection_finds_exactly_the_deleted(size: int, picks: list[int]) -> None:
    inventory = list(range(5, 5 + 3 * size, 3))
    deleted = {inventory[p % size] for p in picks}
    missing, calls = _run(inventory, set(inventory) - deleted)
    assert missing == sorted(deleted)
    if deleted:
        assert calls <= len(deleted) * max(1, math.ceil(math.log2(size))) + 2
