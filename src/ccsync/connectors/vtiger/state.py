"""The opaque state a Vtiger change read hands back (``ChangeSet.next_state``).

Fields:

* ``watermark``: server epoch second W; the next read asks for ``modifiedtime > W``. It trails
  the newest record read by one second (and never passes the server clock at the start of the
  read), because a record saved later in the newest second would be missed by a strict ``>``.
* ``seen``: ``{id: modifiedtime epoch}`` of records already returned with a time after W, so
  re-reading that tail does not return them twice.
* ``inventory``: sorted record numbers (``crmid``) of the live records in scope.
* ``prefix``: the Contacts id prefix (``12``) that turns numbers back into ids.
* ``full_scan_at``: when the last full id listing ran (the daily safety net).
* ``sync_ok`` / ``probed_at``: the cached capability probe of the ``sync`` operation.
* ``who``: URL, user and scope the state belongs to; another login starts a first run.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import asdict, dataclass, field

STATE_VERSION = 1


@dataclass(slots=True)
class VtigerState:
    """Everything one change read needs from the previous one."""

    who: str = ""
    watermark: int | None = None
    seen: dict[str, int] = field(default_factory=dict)
    inventory: list[int] = field(default_factory=list)
    prefix: str = ""
    full_scan_at: float = 0.0
    sync_ok: bool | None = None
    probed_at: float = 0.0
    version: int = STATE_VERSION

    @classmethod
    def load(cls, raw: str | None, who: str) -> VtigerState:
        """Decode ``raw``; a missing, foreign or unreadable state means a first run."""
        if not raw:
            return cls(who=who)
        try:
            data = json.loads(raw)
            state = cls(**data)
        except (ValueError, TypeError):
            return cls(who=who)
        if state.version != STATE_VERSION or state.who != who:
            return cls(who=who)
        state.inventory = sorted(set(state.inventory))
        return state

    def dump(self) -> str:
        """The JSON string to store."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @property
    def first_run(self) -> bool:
        """True before any successful read."""
        return self.watermark is None

    def add(self, number: int) -> None:
        """Put a record number into the inventory."""
        index = bisect.bisect_left(self.inventory, number)
        if index == len(self.inventory) or self.inventory[index] != number:
            self.inventory.insert(index, number)

    def remove(self, number: int) -> bool:
        """Take a record number out of the inventory; False when it was not there."""
        index = bisect.bisect_left(self.inventory, number)
        if index < len(self.inventory) and self.inventory[index] == number:
            del self.inventory[index]
            return True
        return False

    def holds(self, number: int) -> bool:
        """Whether the inventory holds ``number``."""
        index = bisect.bisect_left(self.inventory, number)
        return index < len(self.inventory) and self.inventory[index] == number
