"""Bulk JSON import, read-back and bulk delete (sync rules W1, W2)."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path
from typing import Any

from ccsync.connectors.constantcontact.bulk import MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, body_size

from .ccemu import Emulator, connector_for, import_row


def _wide_row(i: int) -> dict[str, Any]:
    """A valid row near the per-field limits, so a few thousand rows pass 3.9 MB."""
    row = import_row(i, "bulk")
    row["street"] = f"{i} " + "Long Industrial Estate Road " * 8
    row["street2"] = "Building C, Floor 4, Suite " + "4" * 200
    row["work_street"] = "Warehouse Lane " * 16
    row["work_city"] = "South San Francisco"
    row["other_street"] = "PO Box " + "9" * 240
    return row


def test_import_batches_by_bytes_and_drops_nothing(emu: Emulator, tmp_path: Path) -> None:
    """⌈payload / 3.9 MB⌉ activities, none over the limits, every row created, read back."""
    cc = connector_for(emu, tmp_path)
    try:
        list_id = cc.ensure_list("bulk-import-test")
        rows = [_wide_row(i) for i in range(3200)]
        rows.append({**import_row(99999, "x"), "email": "a" * 45 + "@example.com"})  # > 50 chars
        started = emu.now() - timedelta(seconds=1)
        emu.clear_counters()
        result = cc.import_contacts(rows, [list_id])
        payload = body_size(rows[:-1], [list_id])
        assert payload > MAX_IMPORT_BYTES  # the test really needs two activities
        assert result.activities == math.ceil(payload / MAX_IMPORT_BYTES) == 2
        assert all(size <= MAX_IMPORT_BYTES for size in result.batch_bytes)
        assert result.rows == 3200 <= result.activities * MAX_IMPORT_ROWS
        assert [reason for _, reason in result.rejected] == [
            "email longer than 50 characters (import limit)"
        ]
        assert result.errors == []
        counts = emu.counters()["by_endpoint"]
        assert counts["POST /v3/activities/contacts_json_import"] == 2
        assert result.calls == emu.counters()["total"]
        back = list(cc.read_created_after(list_id, started))
        assert {r.fields["email_address"]["address"] for r in back} == {
            r["email"] for r in rows[:-1]
        }
        assert all(r.fields["email_address"]["permission_to_send"] == "implicit" for r in back)
        deleted = cc.delete_many([r.id for r in back[:1200]])
        assert deleted.activities == 3 and deleted.errors == []
        gone = {c["contact_id"] for c in emu.all_contacts() if c.get("deleted_at")}
        assert {r.id for r in back[:1200]} <= gone
    finally:
        cc.close()
