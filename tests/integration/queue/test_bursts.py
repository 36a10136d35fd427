"""Sync Now bursts on many connectors, run by two real worker processes (issue 13).

50 connectors share one CC application; each burst is several concurrent Sync Now clicks on
every connector. The proof comes from the store and the emulators, not from the workers' word:
the runs table shows no two runs of one connector at a time, each burst leaves at most one run
going and one waiting, and at the end both emulators hold the same contacts for every
connector.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from ccsync.web.metrics import render_metrics
from integration.queue.conftest import ACCOUNTS
from integration.queue.fleet import Fleet, assert_no_overlap

CLICKS = 4


def _burst(fleet: Fleet) -> dict[int, Counter[str]]:
    """``CLICKS`` concurrent Sync Now clicks on every connector; the answers per connector."""
    calls = [cid for cid in fleet.connectors.values() for _ in range(CLICKS)]
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda c: (c, fleet.backend.enqueue_sync(c, "manual")), calls))
    out: dict[int, Counter[str]] = {cid: Counter() for cid in fleet.connectors.values()}
    for cid, answer in answers:
        out[cid][answer.status] += 1
    return out


def _check_round(fleet: Fleet, answers: dict[int, Counter[str]], since: datetime) -> None:
    for cid, counts in answers.items():
        accepted = counts["started"] + counts["queued"]
        assert 1 <= accepted <= 2, (cid, counts)  # one going and one waiting at the most
        assert accepted + counts["already_queued"] == CLICKS, (cid, counts)
        runs = [r for r in fleet.runs(cid) if r.started_at >= since]
        assert len(runs) == accepted, (cid, counts, [(r.id, r.status) for r in runs])
        assert all(r.status == "succeeded" for r in runs), [(r.status, r.error) for r in runs]


def test_bursts_on_50_connectors_collapse_never_overlap_and_converge(fleet: Fleet) -> None:
    started = time.monotonic()
    for n in range(1, ACCOUNTS + 1):
        fleet.add_connector(n)
        fleet.crm_create(n, firstname="Ann", lastname=f"Crm{n}", email=f"ann{n}@crm.example.com")
        fleet.cc_create(n, f"cid{n}@cc.example.com", first_name="Cid", last_name=f"Cc{n}")
    fleet.start_worker("w1")
    fleet.start_worker("w2")

    first_since = datetime.now(UTC)
    first = _burst(fleet)
    fleet.wait_idle(timeout=120)
    _check_round(fleet, first, first_since)

    for n in range(1, ACCOUNTS + 1):
        fleet.crm_create(n, firstname="Bea", lastname=f"New{n}", email=f"bea{n}@crm.example.com")
    second_since = datetime.now(UTC)
    second = _burst(fleet)
    fleet.wait_idle(timeout=120)
    _check_round(fleet, second, second_since)

    for n, cid in fleet.connectors.items():
        assert_no_overlap(fleet.runs(cid))
        expected = sorted(
            [f"ann{n}@crm.example.com", f"bea{n}@crm.example.com", f"cid{n}@cc.example.com"]
        )
        assert fleet.crm_emails(n) == expected
        assert fleet.cc_emails(n) == expected
    rows = fleet.worker_rows()
    assert rows["w1"].runs > 0 and rows["w2"].runs > 0, rows  # both workers took jobs
    assert sum(r.runs for r in rows.values()) == sum(
        len(fleet.runs(c)) for c in fleet.connectors.values()
    )
    metrics = render_metrics(fleet.sessions, fleet.settings.worker_stalled_s)
    for name in ("w1", "w2"):
        assert f'ccsync_worker_runs_total{{worker="{name}"}} {rows[name].runs}' in metrics
        assert f'ccsync_worker_up{{worker="{name}"}} 1' in metrics
    print(f"bursts on {ACCOUNTS} connectors: {time.monotonic() - started:.1f}s")
