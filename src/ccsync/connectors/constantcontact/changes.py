"""The opaque change-read state: a signpost watermark plus the versions seen near it.

Each read asks for ``updated_after`` and ``optout_after`` = watermark − overlap, so changes
committed late or stamped by a skewed clock are not missed; versions already returned inside
that window (``seen``, keyed by contact id with a fingerprint that also covers consent and
deletion) are dropped, so a re-read is quiet. The next watermark is the read's start time and
never later (the signpost).
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
    """

    watermark: datetime | None = None
    seen: dict[str, list[str]] = field(default_factory=dict)
    deleted_count: int | None = None
    list_id: str | None = None

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
        )

    def encode(self) -> str:
        """The state as the opaque string the engine stores."""
        data = {
            "v": VERSION,
            "w": self.watermark.isoformat() if self.watermark else None,
            "seen": self.seen,
            "dc": self.deleted_count,
            "list": self.list_id,
        }
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
        self.seen = {
            cid: entry
            for cid, entry in self.seen.items()
            if (t := parse_time(entry[1])) is not None and t >= floor
        }
