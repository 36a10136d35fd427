"""Planner throughput on 100,000 linked pairs (pairs per second, peak memory).

Run: ``.venv/bin/pytest bench/test_planner_bench.py -m bench -s``.

Two shapes: ~1% of the pairs changed (a normal incremental run: the target is 100,000 pairs
planned per second) and 100% changed (every CRM record edited, every other CC record too: each
pair is merged, validated and turned into one or two write actions). Throughput is CPU time
of one ``build_plan`` call (best and median of several), so a busy machine does not distort it
as much as wall time would.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest

from ccsync.connectors.base import Schema
from ccsync.connectors.vtiger.describe import COLUMN_SIZES
from ccsync.domain.contact import Consent
from ccsync.engine.mapping import default_mapping
from ccsync.engine.plan_types import LinkState, PlanInput, PlanSettings, SideRecord
from ccsync.engine.planner import build_plan

PAIRS = 100_000
MAPPING = default_mapping()
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _canonical(i: int, cc: bool) -> dict[str, str]:
    values = dict.fromkeys(MAPPING.fields, "")
    values.update(
        firstname=f"First{i}",
        lastname=f"Last{i}",
        email=f"p{i}@example.com",
        phone=f"+1 202 555 {i % 10000:04d}",
        mailingcity="Springfield",
        title="Buyer",
    )
    if not cc:
        values["emailoptout"] = "0"
    return values


def _input(changed_every: int) -> PlanInput:
    links, crm, cc = [], [], []
    later = T0 + timedelta(minutes=5)
    consent = Consent("implicit")
    for i in range(PAIRS):
        crm_snap, cc_snap = _canonical(i, False), _canonical(i, True)
        links.append(LinkState(f"12x{i}", f"c{i}", crm_snap, cc_snap, "implicit"))
        if i % changed_every == 0:
            crm.append(SideRecord(f"12x{i}", later, dict(crm_snap, title=f"T{i}")))
            if i % (2 * changed_every) == 0:
                cc.append(SideRecord(f"c{i}", later, dict(cc_snap, mobile="555"), consent))
    return PlanInput(crm_changes=crm, cc_changes=cc, links=links)


# Floors on the best of REPEATS runs (CPU time; the machine is shared). Incremental runs: the
# 100,000 pairs/s target with a wide margin (1.3-1.6 M measured). All changed: a merge plus one
# or two validated write actions per pair; 92-101 k pairs/s measured on the loaded 2-core CI box
# (median 88-99 k), so the floor leaves room for a busier machine.
FLOORS = {100: 100_000, 1: 80_000}
REPEATS = 5


@pytest.mark.bench
@pytest.mark.parametrize("changed_every", [100, 1], ids=["1pct_changed", "100pct_changed"])
def test_planner_throughput(changed_every: int) -> None:
    inp = _input(changed_every)
    crm_schema = Schema({}, lengths=COLUMN_SIZES)  # a default Vtiger install's columns
    settings = PlanSettings(mapping=MAPPING, linked_pairs=PAIRS, crm_schema=crm_schema)
    tracemalloc.start()
    started = time.perf_counter()
    plan = build_plan(inp, settings)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    times = []
    for _ in range(REPEATS):
        started = time.process_time()
        again = build_plan(inp, settings)
        times.append(time.process_time() - started)
        del again  # freeing the plan is the caller's cost, not planning
    best, median = PAIRS / min(times), PAIRS / statistics.median(times)
    print(
        f"\n{changed_every=}: best {best:,.0f} pairs/s, median {median:,.0f} pairs/s "
        f"({min(times):.3f} s best of {REPEATS} untraced, {elapsed:.3f} s traced), "
        f"peak {peak / 2**20:.1f} MiB, {len(plan.cc)} CC + {len(plan.crm)} CRM actions"
    )
    assert len(plan.cc) == PAIRS // changed_every
    assert len(plan.crm) == PAIRS // changed_every // 2
    assert best >= FLOORS[changed_every]
