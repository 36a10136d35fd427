"""Constant Contact connector at scale, with the emulator enforcing 4 requests/s.

Reads 20,000 seeded contacts (no 429 may surface) and writes 20,000 new realistic contacts
through the JSON import path, then reads them back to link them.

Run: ``.venv/bin/pytest bench/test_cc_bench.py -m bench -s``.
"""

from __future__ import annotations

import math
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from ccsync.connectors.constantcontact.bulk import MAX_IMPORT_BYTES, body_size
from ccsync.connectors.trace import TraceEntry

# bench/ is not a package next to tests/: make the repository root importable for the helpers
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.integration.cc_connector.ccemu import (  # noqa: E402
    connector_for,
    import_row,
    start_emulator,
)

N = 20_000
LEAK = "ignore:Exception ignored in. <_io.FileIO name='[^']*\\.log' mode='wb'"


@pytest.mark.bench
@pytest.mark.timeout(1800)
@pytest.mark.filterwarnings(LEAK)
def test_read_and_import_20000_at_four_per_second(tmp_path: Path) -> None:
    emu = start_emulator(tmp_path, "--seed-contacts", str(N), "--rate-limit", "4")
    statuses: list[int | None] = []

    def record(entry: TraceEntry) -> None:
        statuses.append(entry.status)

    cc = connector_for(emu, tmp_path, rate=3.8, trace=record)
    try:
        started = time.monotonic()
        read = cc.read_changes(None)
        read_time = time.monotonic() - started
        assert len(read.records) == len(emu.all_contacts()) >= N
        assert 429 not in statuses
        print(f"\nfull read: {len(read.records)} contacts, {read.calls} calls, {read_time:.1f} s")

        list_id = cc.ensure_list("bench-import")
        rows = [import_row(i, "bench") for i in range(N)]
        payload = body_size(rows, [list_id])
        before_calls, since = cc.calls, emu.now() - timedelta(seconds=1)
        started = time.monotonic()
        result = cc.import_contacts(rows, [list_id])
        import_time = time.monotonic() - started
        back = list(cc.read_created_after(list_id, since))
        total_time = time.monotonic() - started
        readback_calls = cc.calls - before_calls - result.calls
        assert result.activities == math.ceil(payload / MAX_IMPORT_BYTES)
        assert all(size <= MAX_IMPORT_BYTES for size in result.batch_bytes)
        assert result.errors == [] and result.rejected == []
        assert {r.fields["email_address"]["address"] for r in back} == {r["email"] for r in rows}
        assert 429 not in statuses
        print(
            f"import: {N} contacts, payload {payload / 1e6:.2f} MB, {result.activities} activities"
            f" (batches {[round(b / 1e6, 2) for b in result.batch_bytes]} MB),"
            f" {result.calls} calls (start + status polls), {import_time:.1f} s;"
            f" read-back {len(back)} contacts in {readback_calls} calls; total {total_time:.1f} s"
        )
    finally:
        cc.close()
        emu.stop()
