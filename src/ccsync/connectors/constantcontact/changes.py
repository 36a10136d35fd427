"""The opaque change-read state: a signpost watermark plus the versions seen near it.

Each read asks for ``updated_after`` and ``optout_after`` = watermark − overlap, so changes
committed late or stamped by a skewed clock are not missed; versions already returned inside
that window (``seen``, keyed by contact id with a fingerprint that also covers consent and
deletion) are dropped, so a re-read is quiet. The next watermark is the read's start time and
never later (the signpost).

A bulk import lands inside that look-back, and re-reading every imported contact would cost a
call per 500 of them. The import's read-back already returned every contact *created* since
shortly before the import (``gap`` = [g0, g1]: created after g0, versions as of g1), so while
the gap is inside the look-back a change read splits its ``updated_after`` query in two:
contacts created before g0 (any change since the look-back: people's edits during the import
included) and contacts created after g0 changed after g1 (later edits, later creations). The
read-back's contacts that were neither imported nor seen by the run (created by people during
the import) are kept in ``pending`` and read by id next time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ccsync.connectors.constantcontact.records import fingerprint, parse_time

VERSION = 1


@dataclass(slots=True)
class ReadState:
    """The decoded state of one side.

    Attributes:
        watermark: the signpost of the previous read (None before the first read).
        seen: contact id → [fingerprint, ISO time] of versions returned near the watermark.
        deleted_count: deleted contacts counted at the previous probe (``count_probe``).
        list_id: the target list id, cached for list scope.
        gap: [g0, g1] of the last import's read-back (None when no import is in the look-back).
        pending: contact ids the read-back showed that the next read must return.
    """

    watermark: datetime | None = None
    seen: dict[str, list[str]] = field(default_factory=dict)
    deleted_count: int | None = None
    list_id: str | None = None
    gap: tuple[datetime, datetime] | None = None
    pending: list[str] = field(default_factory=list)

    @classmethod
    def decode(cls, raw: str | None) -> ReadState:
        """Parse a stored state (None, empty or unreadable → a first read)."""
        if not raw:
            return cls()
        try:
            data: dict[str, Any] = json.loads(raw)
        except ValueError:
            return cls()
        if data.get("v") != VERSION:
            return cls()
        return cls(
            watermark=parse_time(data.get("w")),
            seen={str(k): list(v) for k, v in (data.get("seen") or {}).items()},
            deleted_count=data.get("dc"),
            list_id=data.get("list"),
            gap=_gap(data.get("gap")),
            pending=[str(i) for i in data.get("pending") or []],
        )

    def encode(self) -> str:
        """The state as the opaque string the engine stores."""
        data: dict[str, Any] = {
            "v": VERSION,
            "w": self.watermark.isoformat() if self.watermark else None,
            "seen": self.seen,
            "dc": self.deleted_count,
            "list": self.list_id,
        }
        if self.gap is not None:
            data["gap"] = [self.gap[0].isoformat(), self.gap[1].isoformat()]
        if self.pending:
            data["pending"] = self.pending
        return json.dumps(data, separators=(",", ":"), sort_keys=True)

    def is_new(self, contact: dict[str, Any]) -> bool:
        """Whether this version of ``contact`` was not returned before."""
        entry = self.seen.get(str(contact["contact_id"]))
        return entry is None or entry[0] != fingerprint(contact)

    def remember(self, contact: dict[str, Any]) -> None:
        """Note a returned version (with its latest change time, for pruning)."""
        email = contact.get("email_address") or {}
        times = [
            parse_time(contact.get("updated_at")),
            parse_time(email.get("opt_out_date")),
            parse_time(contact.get("deleted_at")),
        ]
        latest = max((t for t in times if t is not None), default=None)
        stamp = latest.isoformat() if latest else ""
        self.seen[str(contact["contact_id"])] = [fingerprint(contact), stamp]

    def advance(self, signpost: datetime, overlap: timedelta) -> None:
        """Move the watermark to ``signpost`` and forget versions older than the window."""
        self.watermark = signpost
        floor = signpost - overlap
        if self.gap is not None and self.gap[1] <= floor:
            self.gap = None  # the next look-back starts after it: a plain read is as cheap
        self.seen = {
            cid: entry
            for cid, entry in self.seen.items()
            if (t := parse_time(entry[1])) is not None and t >= floor
        }


def _gap(raw: Any) -> tuple[datetime, datetime] | None:
    if not isinstance(raw, list) or len(raw) != 2:
        return None
    start, end = parse_time(raw[0]), parse_time(raw[1])
    return (start, end) if start is not None and end is not None else None
