"""Run items as people read them outside the app: links to the records and the Sync Log CSV.

One definition for the web UI's *Download as CSV* and ``ccsync log --csv``: the same columns,
the same links (http(s) only) and the same neutralised cells.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from ccsync.engine.config import ConnectorConfig
from ccsync.store.repos.rows import RunItemRow

CSV_COLUMNS = (
    "run_id", "time", "side", "action", "source_module", "record_name", "crm_id", "cc_id",
    "crm_url", "cc_url", "reason", "message", "diff", "conflict",
)  # fmt: skip
# Excel reads a CSV without a byte-order mark as the local code page (accented names garble).
CSV_BOM = "\ufeff"
# Kept in a skip's stored diff to notice an unchanged record; not something a person reads.
INTERNAL_DIFF_KEYS = ("fingerprint",)


def source_module(side: str) -> str:
    """Where the record of an item came from (the other side of the table it is listed in)."""
    return "Contacts (Vtiger CRM)" if side == "cc" else "Contacts (Constant Contact)"


def shown_diff(diff: dict[str, object] | None) -> dict[str, object]:
    """A stored diff without its bookkeeping keys."""
    return {k: v for k, v in (diff or {}).items() if k not in INTERNAL_DIFF_KEYS}


def item_record(item: RunItemRow, config: ConnectorConfig) -> dict[str, object]:
    """One run item as a flat record (the CSV's columns, diff and conflict as objects)."""
    return {
        "run_id": item.run_id,
        "time": aware_utc(item.created_at).isoformat(),
        "side": item.side,
        "action": item.action,
        "source_module": source_module(item.side),
        "record_name": item.record_name or "",
        "crm_id": item.crm_id or "",
        "cc_id": item.cc_id or "",
        "crm_url": config.crm.record_url(item.crm_id),
        "cc_url": config.cc.record_url(item.cc_id),
        "reason": item.reason or "",
        "message": item.message or "",
        "diff": shown_diff(item.diff) or None,
        "conflict": item.conflict or None,
    }


def aware_utc(value: datetime) -> datetime:
    """A stored time in UTC with its offset (SQLite hands back naive UTC times)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def csv_cells(record: dict[str, object]) -> list[str]:
    """A record of ``item_record`` as CSV cells: JSON for objects, formulas neutralised."""
    return [_cell(record.get(column)) for column in CSV_COLUMNS]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    # A cell starting with = + - @ would run as a formula in a spreadsheet (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
