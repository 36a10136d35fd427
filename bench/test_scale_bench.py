"""Scale-out benchmark (issue 13): many connectors on one CC application, two ``ccsync worker``
processes on one PostgreSQL database, both emulators at their real limits.

Every connector n syncs CC account n (seeded with ``CONTACTS`` realistic contacts) into the
empty Vtiger user ``u<n>``; all share one CC application, so the whole fleet draws from one
4 requests/s and one 10,000-call day. Prints the time until every connector is in sync (every
first run done, every account's contacts with an email in Vtiger), the calls per connector per
side (min / median / max), the application's calls in total and the peak memory (VmHWM) of each
worker process.

Run: ``.venv/bin/pytest bench/test_scale_bench.py -m bench -s`` (defaults: 200 connectors ×
1,000 contacts; ``CCSYNC_BENCH_CONNECTORS`` and ``CCSYNC_BENCH_CONTACTS`` scale it down).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT, ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from integration.engine.harness import CLIENT_ID, Emulators  # noqa: E402
from integration.queue.fleet import Fleet, vtiger_users  # noqa: E402

CONNECTORS = int(os.environ.get("CCSYNC_BENCH_CONNECTORS", "200"))
CONTACTS = int(os.environ.get("CCSYNC_BENCH_CONTACTS", "1000"))
WORKER_SLOTS = 4
LEAK = "ignore:Exception ignored in. <_io.FileIO name='[^']*\\.log' mode='wb'"
REAL_LIMITS = ("--rate-limit", "4", "--daily-quota", "10000")

pytestmark = [pytest.mark.bench, pytest.mark.timeout(7200), pytest.mark.filterwarnings(LEAK)]


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    """Emulators with ``CONNECTORS`` accounts and users, seeded; a fresh PostgreSQL database."""
    (tmp_path / "emulators").mkdir()
    emus = Emulators.start(
        tmp_path / "emulators",
        cc_args=("--accounts", str(CONNECTORS), *REAL_LIMITS),
        vt_args=vtiger_users(CONNECTORS),
    )
    emus.post(emus.cc, "/_emulator/reset", {"seed_contacts": CONTACTS, "seed": 13})
    emus.post(emus.cc, "/_emulator/config", {"rate_limit": 4, "daily_quota": 10000})
    f = Fleet(emus, tmp_path)
    try:
        yield f
    finally:
        f.close()
        emus.stop()


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _spread(values: list[int]) -> str:
    return f"{min(values)} / {statistics.median(values):g} / {max(values)}"


def test_many_connectors_two_workers_real_limits(fleet: Fleet) -> None:
    for n in range(1, CONNECTORS + 1):
        fleet.add_connector(n, cc_rate=None, cc_retry=None)  # the production pace and retries
    workers = [fleet.start_worker("w1", WORKER_SLOTS), fleet.start_worker("w2", WORKER_SLOTS)]
    started = time.monotonic()
    for cid in fleet.connectors.values():
        fleet.backend.enqueue_sync(cid, "confirm", confirm=True)  # a first run past its Preview
    fleet.wait_idle(timeout=7000)
    wall = time.monotonic() - started
    peaks = {w.name: _peak_mb(w.popen.pid) for w in workers}

    runs = [fleet.runs(cid) for cid in fleet.connectors.values()]
    failed = [r for rs in runs for r in rs if r.status != "succeeded"]
    cc_calls = [sum(int(r.calls.get("cc", 0)) for r in rs) for rs in runs]
    crm_calls = [sum(int(r.calls.get("crm", 0)) for r in rs) for rs in runs]
    usage = fleet.cc_counters()["by_key"].get(CLIENT_ID, {})
    sample = [1, CONNECTORS // 2, CONNECTORS]
    in_sync = all(
        set(fleet.cc_emails(n)) <= set(fleet.crm_emails(n)) for n in sample if n in fleet.connectors
    )
    print(
        f"\n[scale] {CONNECTORS} connectors x {CONTACTS} contacts, 2 workers x {WORKER_SLOTS}: "
        f"all in sync after {wall:.0f}s; runs failed: {len(failed)}\n"
        f"  CC calls per connector (min/median/max) {_spread(cc_calls)}, "
        f"Vtiger calls per connector {_spread(crm_calls)}\n"
        f"  CC application: {usage}\n"
        f"  peak memory per worker (VmHWM): "
        + ", ".join(f"{name} {mb:.0f} MB" for name, mb in peaks.items())
    )
    assert not failed, [(r.connector_id, r.status, r.error) for r in failed[:5]]
    assert in_sync
    assert usage.get("throttled", 0) == 0, usage
