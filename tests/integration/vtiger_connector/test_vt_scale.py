"""10,000 contacts: the 100-row cap, 300 saves in one second, deletions in O(d · log N) calls."""

from __future__ import annotations

import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from ccsync.connectors.base import ChangeSet

from .vtemu import VtigerEmulator

N = 10_000
DELETION_BUDGET = 5 * math.ceil(math.log2(N)) + 2  # 72


@dataclass
class Scale:
    emu: VtigerEmulator
    tmp: Path
    state: str | None = None

    def read(self) -> tuple[ChangeSet, dict[str, int]]:
        """One read with a fresh connector (a new run: login included), and its calls by op."""
        before = self.emu.counters()["by_operation"]
        connector = self.emu.connector(self.tmp, scope="all")
        try:
            changes = connector.read_changes(self.state)
        finally:
            connector.close()
        after = self.emu.counters()["by_operation"]
        self.state = changes.next_state
        return changes, {
            op: after[op] - before.get(op, 0) for op in after if after[op] != before.get(op, 0)
        }


@pytest.fixture(scope="module")
def scale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scale]:
    tmp = tmp_path_factory.mktemp("vt-scale")
    emu = VtigerEmulator.start(tmp, "--seed-contacts", str(N), name="vt-scale")
    try:
        harness = Scale(emu, tmp)
        yield harness
    finally:
        emu.stop()


def test_first_read_returns_each_of_10000_once_in_pages_of_100(scale: Scale) -> None:
    changes, ops = scale.read()
    ids = [r.id for r in changes.records]
    assert len(ids) == N and len(set(ids)) == N
    assert changes.complete
    stamps = [(r.updated_at, int(r.id.split("x")[1])) for r in changes.records]
    assert stamps == sorted(stamps)  # oldest first
    assert ops["query"] == N // 100 + 1  # 100 full pages and the empty one that ends the read
    assert ops == {"getchallenge": 1, "login": 1, "query": N // 100 + 1}


def test_quiet_run_costs_four_requests(scale: Scale) -> None:
    scale.emu.advance(2)
    changes, ops = scale.read()
    assert changes.records == [] and changes.deleted_ids == []
    assert changes.calls == 4
    assert ops == {"getchallenge": 1, "login": 1, "query": 2}  # keyset page + one count(*)


def test_five_deletions_found_within_the_budget(scale: Scale) -> None:
    live = [c["id"] for c in scale.emu.live_contacts()]
    victims = [live[i] for i in (3, 1_500, 1_501, 6_000, len(live) - 1)]
    for record_id in victims:
        scale.emu.ui_delete(record_id)
    scale.emu.advance(2)
    changes, ops = scale.read()
    assert sorted(changes.deleted_ids) == sorted(victims)
    assert changes.out_of_scope_ids == [] and changes.records == []
    deletion_calls = changes.calls - 3  # minus getchallenge, login and the keyset page
    assert deletion_calls <= DELETION_BUDGET
    assert sum(ops.values()) == changes.calls
    print(f"\n5 deletions among {N}: {deletion_calls} deletion-detection calls")


def test_no_deletion_costs_one_count(scale: Scale) -> None:
    scale.emu.advance(2)
    changes, ops = scale.read()
    assert changes.deleted_ids == []
    assert ops["query"] == 2 and changes.calls == 4


def test_300_contacts_saved_in_one_second_each_read_once(scale: Scale) -> None:
    scale.emu.freeze(True)
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            made = list(
                pool.map(lambda i: scale.emu.ui_create({"lastname": f"Same {i}"})["id"], range(300))
            )
        stamps = {c["modifiedtime"] for c in scale.emu.live_contacts() if c["id"] in set(made)}
        assert len(stamps) == 1
        changes, _ = scale.read()
    finally:
        scale.emu.freeze(False)
    ids = [r.id for r in changes.records]
    assert sorted(ids) == sorted(made)
    assert len(ids) == len(set(ids))
    scale.emu.advance(2)
    again, _ = scale.read()
    assert again.records == [] and again.deleted_ids == []
