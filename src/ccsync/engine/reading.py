"""Step 1–2 of a run: read both sides and map every record to the canonical form.

The result keeps, per side, the freshest native record of every id this run saw (a CC ``PUT``
must carry the permission of the freshest read), the mapped ``SideRecord``s, and the change
sets whose ``next_state`` is stored only once the run acknowledged every record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ccsync.connectors.base import ChangeSet, Connector, RemoteRecord, Side
from ccsync.domain.contact import EMAIL, display_name
from ccsync.domain.normalize import email_key
from ccsync.engine.mapping import FieldMapping, cc_to_canonical, crm_to_canonical
from ccsync.engine.plan_types import SideRecord

TWIN_LOOKUPS_MAX = 20  # above this many emails to look up, read the side in full instead


def to_side_record(side: Side, record: RemoteRecord, mapping: FieldMapping) -> SideRecord:
    """Map one remote record of ``side`` to a planner ``SideRecord``."""
    if side == "crm":
        canonical = crm_to_canonical(record.fields, mapping)
        consent = None
    else:
        canonical, consent = cc_to_canonical(record.fields, mapping)
    return SideRecord(
        id=record.id,
        updated_at=record.updated_at,
        canonical=canonical,
        consent=consent,
        deleted=record.deleted,
        name=display_name(canonical),
    )


@dataclass(slots=True)
class SideRead:
    """What a run knows about one side.

    Attributes:
        side: ``crm`` or ``cc``.
        changes: the change set read at the start of the run.
        fresh: id → the freshest native record seen in this run.
        mapped: id → the mapped record of ``fresh``.
        extra_changes: records re-read for the retry queue (planned like changes).
    """

    side: Side
    changes: ChangeSet
    fresh: dict[str, RemoteRecord] = field(default_factory=dict)
    mapped: dict[str, SideRecord] = field(default_factory=dict)
    extra_changes: list[str] = field(default_factory=list)

    def remember(self, records: Iterable[RemoteRecord], mapping: FieldMapping) -> list[SideRecord]:
        """Keep ``records`` as the freshest reads and return them mapped."""
        out = []
        for record in records:
            self.fresh[record.id] = record
            mapped = to_side_record(self.side, record, mapping)
            self.mapped[record.id] = mapped
            out.append(mapped)
        return out

    def change_records(self) -> list[SideRecord]:
        """The mapped records to plan: the change set plus retried records, each once."""
        ids = [r.id for r in self.changes.records]
        ids += [i for i in self.extra_changes if i not in set(ids)]
        return [self.mapped[i] for i in dict.fromkeys(ids) if i in self.mapped]


def read_side(
    connector: Connector, state: str | None, mapping: FieldMapping, retry_ids: Sequence[str]
) -> SideRead:
    """Read the changes of one side (all records when ``state`` is None) plus retried ids.

    Args:
        connector: the side's connector.
        state: the stored change-read state (None on a first run).
        mapping: the field mapping.
        retry_ids: ids whose failed writes are due again: read fresh and planned again.
    """
    changes = connector.read_changes(state)
    read = SideRead(connector.side, changes)
    read.remember(changes.records, mapping)
    missing = [i for i in retry_ids if i not in read.fresh]
    if missing:
        read.remember(connector.get_many(missing), mapping)
    read.extra_changes = [i for i in retry_ids if i in read.fresh]
    return read


def email_of(record: SideRecord) -> str | None:
    """The normalised matching key of a mapped record (None when empty or invalid)."""
    address = record.canonical.get(EMAIL, "")
    return email_key(address) if address else None


def find_twins(
    connector: Connector,
    read: SideRead,
    emails: Iterable[str],
    mapping: FieldMapping,
) -> list[SideRecord]:
    """Every record of ``connector``'s side holding one of ``emails`` (one lookup per email,
    or none when this run's listing of the side was complete).

    A create whose answer was lost in an earlier run is found here, so it is linked instead of
    created twice; all the duplicates of an address are found, not only one read in this run.
    """
    if not read.changes.complete:
        return holders(connector, read, emails, mapping)
    keys = set(emails)
    found = [r for r in read.mapped.values() if email_of(r) in keys]
    # a scoped listing (a CC list) may miss a holder outside it: look those addresses up
    missing = keys - {email_of(r) for r in found}
    return found + holders(connector, read, missing, mapping) if missing else found


def holders(
    connector: Connector, read: SideRead, emails: Iterable[str], mapping: FieldMapping
) -> list[SideRecord]:
    """Every record of ``connector``'s side holding one of ``emails``, read now: one lookup per
    email, or one paged full read when there are more than ``TWIN_LOOKUPS_MAX``."""
    wanted = list(dict.fromkeys(emails))
    if len(wanted) > TWIN_LOOKUPS_MAX:
        # many emails: one paged full read is cheaper than a lookup per email
        read.remember(connector.read_all(), mapping)
        keys = set(wanted)
        return [r for r in read.mapped.values() if email_of(r) in keys]
    out: dict[str, SideRecord] = {}
    for email in wanted:
        for record in read.remember(connector.find_by_email(email), mapping):
            out[record.id] = record
    return list(out.values())


def native_fields(read: SideRead, record_id: str) -> Mapping[str, Any] | None:
    """The freshest native record of ``record_id`` seen in this run, if any."""
    record = read.fresh.get(record_id)
    return None if record is None else record.fields
