"""Splitting JSON-import rows into activities that stay inside CC's limits.

A ``contacts_json_import`` takes at most 40,000 rows and less than 4 MB (CC silently drops what
is beyond 4 MB), so batches are cut by the serialised size of the whole request body.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MAX_IMPORT_BYTES = 3_900_000  # below 4 MB however CC counts a megabyte
MAX_IMPORT_ROWS = 40_000
MAX_IMPORT_EMAIL = 50
MAX_DELETE_IDS = 500


def dumps(value: Any) -> str:
    """JSON exactly as the request body is sent (compact, UTF-8)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def body_size(rows: Sequence[Mapping[str, Any]], list_ids: Sequence[str]) -> int:
    """Bytes of the import request body for ``rows``."""
    return len(dumps({"import_data": list(rows), "list_ids": list(list_ids)}).encode())


@dataclass(slots=True)
class Batch:
    """One import request: its rows and its body size in bytes."""

    rows: list[Mapping[str, Any]] = field(default_factory=list)
    size: int = 0


def row_problem(row: Mapping[str, Any]) -> str | None:
    """Why a row cannot go into an import (None when it can)."""
    email = str(row.get("email") or "")
    if not email:
        return "import row without email"
    if len(email) > MAX_IMPORT_EMAIL:
        return f"email longer than {MAX_IMPORT_EMAIL} characters (import limit)"
    return None


def batches(
    rows: Sequence[Mapping[str, Any]],
    list_ids: Sequence[str],
    max_bytes: int = MAX_IMPORT_BYTES,
    max_rows: int = MAX_IMPORT_ROWS,
) -> Iterator[Batch]:
    """Greedy batches whose serialised body stays ≤ ``max_bytes`` and ≤ ``max_rows`` rows.

    Raises:
        ValueError: a single row does not fit an empty request.
    """
    empty = body_size([], list_ids)
    current = Batch(size=empty)
    for row in rows:
        # each row adds its JSON plus a separating comma (none for the first row)
        extra = len(dumps(row).encode()) + (1 if current.rows else 0)
        if empty + extra > max_bytes:
            raise ValueError(f"row for {row.get('email')!r} alone exceeds {max_bytes} bytes")
        if current.size + extra > max_bytes or len(current.rows) >= max_rows:
            yield current
            current = Batch(size=empty)
            extra = len(dumps(row).encode())
        current.rows.append(row)
        current.size += extra
    if current.rows:
        yield current


def chunks(ids: Sequence[str], size: int = MAX_DELETE_IDS) -> Iterator[list[str]]:
    """``ids`` in lists of at most ``size``."""
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])
