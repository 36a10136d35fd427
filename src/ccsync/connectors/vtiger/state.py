"""The opaque state a Vtiger change read hands back (``ChangeSet.next_state``).

Fields:

* ``watermark``: server epoch second W; the next read asks for ``modifiedtime > W``. It trails
  the newest record read by one second (and never passes the server clock at the start of the
  read), because a record saved later in the newest second would be missed by a strict ``>``.
* ``seen``: ``{id: (modifiedtime epoch, content digest)}`` of records already returned with a
  time after W, so re-reading that tail does not return them twice — while a second save in the
  same second (same ``modifiedtime``, other content) is still returned.
* ``inventory``: sorted record numbers (``crmid``) of the live records in scope.
* ``prefix``: the Contacts id prefix (``12``) that turns numbers back into ids.
* ``full_scan_at``: when the last full id listing ran (the daily safety net).
* ``sync_ok`` / ``probed_at``: the cached capability probe of the ``sync`` operation.
* ``who``: URL, user and scope the state belongs to; another login starts a first run.
* ``accounts``: organisation names read by id, ``{id: [name, read_at]}`` (``accounts.py``).
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

STATE_VERSION = 2


@dataclass(slots=True)
class VtigerState:
    """Everything one change read needs from the previous one."""

    who: str = ""
    watermark: int | None = None
    seen: dict[str, tuple[int, str]] = field(default_factory=dict)
    inventory: list[int] = field(default_factory=list)
    prefix: str = ""
    full_scan_at: float = 0.0
    sync_ok: bool | None = None
    probed_at: float = 0.0
    version: int = STATE_VERSION
    accounts: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, raw: str | None, who: str) -> VtigerState:
        """Decode ``raw``; a missing, foreign or unreadable state means a first run."""
        if not raw:
            return cls(who=who)
        try:
            data = json.loads(raw)
            state = cls(**data)
            state.seen = {k: (int(v[0]), str(v[1])) for k, v in state.seen.items()}
        except (ValueError, TypeError, IndexError):
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


def with_written(
    raw: str, created: Sequence[str], deleted: Sequence[str], touched: Sequence[str] = ()
) -> str:
    """The stored state ``raw`` told about records the caller itself created, deleted or wrote.

    Deletion detection compares ``count(*)`` with the inventory of ids the reads returned. A
    contact the sync itself creates is not in the inventory until a later read returns it: if a
    person deletes it before that, the count still matches and the delete would go unnoticed.
    So the caller adds the ids it created (and drops those it deleted) before storing the state.

    ``touched`` are the records the caller wrote (or tried to: an answer may be lost). Their
    ``seen`` versions are forgotten: a person who restores, in the same second, the content
    the read saw before the write would otherwise match that version and be missed. The next
    read returns them once more (the echo, which the engine recognises); it costs no call.
    A state of another version or a first run is returned unchanged.
    """
    if not created and not deleted and not touched:
        return raw
    try:
        who = str(json.loads(raw).get("who", ""))
    except (ValueError, AttributeError):
        return raw
    state = VtigerState.load(raw, who)
    if state.first_run:
        return raw
    for record_id in created:
        _note(state, record_id, add=True)
    for record_id in deleted:
        _note(state, record_id, add=False)
    for record_id in (*created, *touched):
        state.seen.pop(record_id, None)
    return state.dump()


def _note(state: VtigerState, record_id: str, *, add: bool) -> None:
    prefix, _, number = record_id.partition("x")
    if not number.isdigit() or (state.prefix and prefix != state.prefix):
        return
    state.prefix = state.prefix or prefix
    if add:
        state.add(int(number))
    else:
        state.remove(int(number))
