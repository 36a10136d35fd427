"""How applied actions become run items, counts and links (shared by the apply modules)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ccsync.connectors.base import RemoteRecord, Side
from ccsync.domain.contact import EMAILOPTOUT, UNSUBSCRIBED, Canonical
from ccsync.engine import reasons
from ccsync.engine.plan_types import COUNT_KEYS, Action, SideRecord
from ccsync.engine.reading import SideRead, to_side_record
from ccsync.engine.result import empty_counts
from ccsync.errors import RecordConflict, RetriableError, SkippableRecordError
from ccsync.store.repos import LinkRow, LinkWrite, RunItemWrite

write_hook: Callable[[str], None] | None = None
"""Test hook called before every remote write with its kind; raising from it simulates a crash
at that point (everything not committed yet is lost, as after a kill)."""


def before_write(kind: str) -> None:
    """Call the test hook, if one is installed."""
    if write_hook is not None:
        write_hook(kind)


@dataclass(slots=True)
class Tally:
    """Counts and conflicts of the run so far."""

    counts: dict[str, dict[str, int]] = field(default_factory=empty_counts)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    writes: int = 0
    failed: int = 0

    def add(self, target: Side, action: str) -> None:
        """Count one outcome (``created`` / ``updated`` / ``skipped`` / ``deleted``)."""
        self.counts[target][action] += 1
        if action != "skipped":
            self.writes += 1


class LinkIndex:
    """The live links of the connector, by CRM id and by CC id."""

    def __init__(self, rows: list[LinkRow]) -> None:
        self.by_crm = {r.crm_id: r for r in rows}
        self.by_cc = {r.cc_id: r for r in rows}

    def of(self, crm_id: str | None, cc_id: str | None) -> LinkRow | None:
        """The link holding ``crm_id`` (else ``cc_id``)."""
        if crm_id and crm_id in self.by_crm:
            return self.by_crm[crm_id]
        return self.by_cc.get(cc_id) if cc_id else None

    def live_pairs(self) -> int:
        """Linked pairs that are not tombstoned."""
        return sum(1 for r in self.by_crm.values() if not r.tombstoned)


def conflict_json(action: Action) -> dict[str, Any] | None:
    """The conflict values of an action for its run item."""
    if not action.conflicts:
        return None
    return {
        "fields": [
            {"field": c.field, "crm": c.crm_value, "cc": c.cc_value, "winner": c.winner}
            for c in action.conflicts
        ]
    }


def item_for(
    action: Action,
    outcome: str,
    *,
    crm_id: str | None = None,
    cc_id: str | None = None,
    reason: str | None = None,
    message: str | None = None,
) -> RunItemWrite:
    """The run item of an action's outcome (``created``/``updated``/``deleted``/``skipped``)."""
    diff: dict[str, Any] | None = {k: list(v) for k, v in action.diff.items()} or None
    if action.kind == "skip" and action.fingerprint:
        diff = {**(diff or {}), "fingerprint": action.fingerprint}
    notes = [action.note] if action.note else []
    notes += [w.message for w in action.warnings]
    text = message if message is not None else action.message
    return RunItemWrite(
        side=action.target,
        action=outcome,
        crm_id=crm_id or action.crm_id,
        cc_id=cc_id or action.cc_id,
        record_name=action.name or None,
        reason=reason if reason is not None else (action.reason or None),
        message="; ".join([t for t in [text, *notes] if t]) or None,
        diff=diff,
        conflict=conflict_json(action),
    )


def outcome_of(action: Action) -> str:
    """The count key of a successful write."""
    return COUNT_KEYS[action.kind]


def source_id(action: Action) -> tuple[Side, str]:
    """The side and id of the record whose change caused ``action`` (for the retry queue)."""
    source: Side = action.source or ("cc" if action.target == "crm" else "crm")
    record_id = action.cc_id if source == "cc" else action.crm_id
    if record_id is None:
        source = "crm" if source == "cc" else "cc"
        record_id = action.crm_id if source == "crm" else action.cc_id
    return source, record_id or ""


def skip_item(action: Action, exc: SkippableRecordError) -> RunItemWrite:
    """The item of a write the target refused for this record only."""
    message = exc.message
    holder = None
    if isinstance(exc, RecordConflict):
        message = reasons.message(
            reasons.CC_EMAIL_IN_USE,
            email=action.values.get("email", ""),
            holder=exc.holder_id or "?",
            status=exc.holder_status or "unknown",
        )
        # a refused create names the holder: its next change plans the create again
        holder = exc.holder_id if action.cc_id is None else None
    return item_for(action, "skipped", cc_id=holder, reason=exc.reason, message=message)


def retry_item(action: Action, exc: RetriableError, attempts: int, dead: bool) -> RunItemWrite:
    """The item of a write that failed and waits in the retry queue (or died)."""
    code = reasons.DEAD_LETTER if dead else reasons.ERROR_WILL_RETRY
    text = reasons.message(code, error=str(exc), attempt=attempts)
    return item_for(action, "skipped", reason=code, message=text)


@dataclass(slots=True)
class PairSnapshots:
    """Builds the link stored after a write, from what the servers returned."""

    reads: dict[Side, SideRead]
    links: LinkIndex
    mapping: Any

    def _side(self, side: Side, record_id: str | None) -> SideRecord | None:
        if record_id is None:
            return None
        return self.reads[side].mapped.get(record_id)

    def link_after(
        self,
        crm_id: str,
        cc_id: str,
        written: RemoteRecord | None,
        target: Side,
        snaps: tuple[Canonical | None, Canonical | None] | None = None,
    ) -> LinkWrite:
        """The link of a pair after ``written`` was stored on ``target``.

        The written side's snapshot comes from the server's answer; the other side's from the
        planner's ``snaps`` when given, else from this run's freshest read of it.
        """
        if written is not None:
            self.reads[target].remember([written], self.mapping)
        crm, cc = self._side("crm", crm_id), self._side("cc", cc_id)
        old = self.links.of(crm_id, cc_id)
        crm_snap = crm.canonical if crm else (old.crm_snapshot if old else None)
        cc_snap = cc.canonical if cc else (old.cc_snapshot if old else None)
        if snaps is not None and target == "crm" and snaps[1] is not None:
            cc_snap = snaps[1]
        if snaps is not None and target == "cc" and snaps[0] is not None:
            crm_snap = snaps[0]
        permission = cc.consent.permission if cc and cc.consent else None
        permission = permission or (old.cc_permission if old else None)
        if permission == UNSUBSCRIBED and (crm_snap or {}).get(EMAILOPTOUT) == "0":
            # CC says unsubscribed (a revived contact stays so) but Vtiger does not know yet:
            # leave the permission unrecorded, so the next run applies sync rule C1 to this pair
            permission = None
        return LinkWrite(
            crm_id=crm_id,
            cc_id=cc_id,
            crm_snapshot=crm_snap,
            cc_snapshot=cc_snap,
            crm_updated_at=_when(crm, old.crm_updated_at if old else None),
            cc_updated_at=_when(cc, old.cc_updated_at if old else None),
            cc_permission=permission,
        )

    def link_from(
        self, crm_id: str, cc_id: str, snaps: tuple[Canonical | None, Canonical | None] | None
    ) -> LinkWrite:
        """A bookkeeping link (planner's snapshots, else the records read in this run)."""
        link = self.link_after(crm_id, cc_id, None, "crm")
        if snaps is None:
            return link
        return replace(
            link,
            crm_snapshot=snaps[0] if snaps[0] is not None else link.crm_snapshot,
            cc_snapshot=snaps[1] if snaps[1] is not None else link.cc_snapshot,
        )


def _when(record: SideRecord | None, fallback: datetime | None) -> datetime | None:
    return record.updated_at if record is not None else fallback


def remap(side: Side, record: RemoteRecord, mapping: Any) -> SideRecord:
    """Map a record a write returned."""
    return to_side_record(side, record, mapping)
