"""Step 6 of a run: apply a plan, recording every write the moment it succeeds.

Order: bookkeeping on the link table, then pairs written on both sides (each pair's link is
stored only once both writes went through, so a crash or failure in between makes the next
run merge again instead of losing a side), then the other CRM writes (within the
connector's concurrency limit), then the email-marketing side (an import for eligible creates,
the full merged record for every other update, a bulk delete for many deletes) — each bulk path
only where the connector has that capability (``ccsync.connectors.capabilities``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ccsync.connectors.base import Connector, RemoteRecord, Side
from ccsync.connectors.capabilities import WrittenIds, state_after
from ccsync.engine.apply_cc import CcWriter
from ccsync.engine.apply_crm import CrmWriter
from ccsync.engine.config import ConnectorConfig
from ccsync.engine.mapping import FieldMapping
from ccsync.engine.outcome import (
    LinkIndex,
    PairSnapshots,
    Tally,
    item_for,
    outcome_of,
    retry_item,
    skip_item,
    source_id,
)
from ccsync.engine.pairs import TOOK_OVER
from ccsync.engine.plan_types import Action, Plan
from ccsync.engine.reading import SideRead
from ccsync.engine.recording import Recorder
from ccsync.engine.write_report import Written
from ccsync.errors import RecordConflict, RetriableError, SkippableRecordError
from ccsync.store import repos
from ccsync.store.repos import LinkWrite, RunItemWrite

Progress = Callable[[str, int, int], None]
DELETED_PENDING = "deleted:"  # links.pending of a delete not acknowledged yet, + side
STORM = 10  # consecutive retriable write failures that end the run (a storm of 5xx)


@dataclass(slots=True)
class ApplyContext:
    """What applying a plan needs."""

    crm: Connector
    cc: Connector
    mapping: FieldMapping
    config: ConnectorConfig
    reads: dict[Side, SideRead]
    links: LinkIndex
    recorder: Recorder
    tally: Tally
    progress: Progress | None = None


class Applier:
    """Applies one plan; every outcome is recorded (link + item) as soon as it is known."""

    def __init__(self, ctx: ApplyContext) -> None:
        self.ctx = ctx
        self.snaps = PairSnapshots(ctx.reads, ctx.links, ctx.mapping)
        self.crm = CrmWriter(ctx.crm, ctx.mapping, ctx.reads["crm"], self)
        self.cc = CcWriter(
            ctx.cc, ctx.mapping, ctx.config, ctx.reads["cc"], self, frozenset(ctx.links.by_cc)
        )
        self.succeeded: dict[Side, list[str]] = {"crm": [], "cc": []}
        self.created: dict[Side, list[str]] = {"crm": [], "cc": []}
        self.deleted_ids: dict[Side, list[str]] = {"crm": [], "cc": []}
        self.failed_ids: set[tuple[Side, str]] = set()
        self._done = 0
        self._total = 0
        self._storm = 0

    # -- entry ---------

    def apply(self, plan: Plan) -> None:
        """Apply ``plan``: bookkeeping, paired writes, CRM writes, CC writes."""
        paired = _paired_updates(plan)
        self._total = len(plan.crm) + len(plan.cc)
        self._bookkeeping(plan, _written_pairs(plan))
        self._skips([*plan.crm, *plan.cc])
        for crm_action, cc_action in paired:
            self._write_pair(crm_action, cc_action)
        skip = {id(a) for pair in paired for a in pair}
        self.crm.apply([a for a in plan.crm if a.is_write and id(a) not in skip])
        self.cc.apply([a for a in plan.cc if a.is_write and id(a) not in skip])
        for side, ids in self.succeeded.items():
            self.ctx.recorder.succeeded(side, ids)

    def states_after(self, plan: Plan) -> dict[str, str]:
        """Each side's change-read state to store, told what this run wrote to it."""
        crm_ids = [a.crm_id for a in plan.crm if a.is_write and a.crm_id]
        cc_ids = [a.cc_id for a in plan.cc if a.is_write and a.cc_id]
        states: dict[str, str] = {}
        sides: tuple[tuple[Side, Connector, list[str]], ...] = (
            ("crm", self.ctx.crm, crm_ids),
            ("cc", self.ctx.cc, cc_ids),
        )
        for side, connector, touched in sides:
            written = WrittenIds(self.created[side], self.deleted_ids[side], touched)
            state = self.ctx.reads[side].changes.next_state
            states[side] = state_after(connector, state, written)
        return states

    # -- callbacks from the writers ---------

    def done(self, action: Action, written: RemoteRecord | None, crm_id: str, cc_id: str) -> None:
        """Record a successful create / update / revive: link + item, at once."""
        self.done_many([(action, written, crm_id, cc_id)])

    def done_many(self, results: Sequence[Written]) -> None:
        """Record several successful writes in one transaction (an import's read-back page)."""
        if not results:
            return
        links, items = [], []
        for action, written, crm_id, cc_id in results:
            if action.kind == "create":
                self.created[action.target].append(crm_id if action.target == "crm" else cc_id)
            snaps = action.snapshots
            if crm_id and cc_id:  # a consent write to an unlinked record links nothing
                links.append(self.snaps.link_after(crm_id, cc_id, written, action.target, snaps))
            elif written is not None:
                self.ctx.reads[action.target].remember([written], self.ctx.mapping)
            items.append(item_for(action, outcome_of(action), crm_id=crm_id, cc_id=cc_id))
        self.ctx.recorder.applied(links, items)
        for action, *_ in results:
            self._count(action, outcome_of(action))

    def deleted(self, actions: Sequence[Action]) -> None:
        """Record deletes (or unlists): tombstone their links, one item each."""
        if not actions:
            return
        for kind, side in (("delete", "cc"), ("unlist", "crm")):
            mine = [a for a in actions if a.kind == kind]
            # tombstone_side "cc" records that the CC contact ended deleted (sync rule D5)
            ids = [link.id for a in mine if (link := self.ctx.links.of(a.crm_id, a.cc_id))]
            if mine:
                self.ctx.recorder.tombstoned(ids, side, [item_for(a, "deleted") for a in mine])
        for action in actions:
            target_id = action.crm_id if action.target == "crm" else action.cc_id
            if action.kind == "delete" and target_id:
                self.deleted_ids[action.target].append(target_id)
            self._count(action, "deleted")

    def failed(self, action: Action, exc: Exception) -> None:
        """Record a write that did not go through (skipped, or queued for retry)."""
        if isinstance(exc, SkippableRecordError):
            self.ctx.recorder.items([skip_item(action, exc)])
            if isinstance(exc, RecordConflict) and action.kind == "update":
                self._pending(action, exc.reason)
        elif isinstance(exc, RetriableError):
            self._storm += 1
            side, record_id = source_id(action)
            self.failed_ids.add((side, record_id))
            failure = {"kind": action.kind, "failed_at": datetime.now(UTC).isoformat()}
            entry = self.ctx.recorder.failed(action.target, side, record_id, str(exc), failure)
            if action.kind == "delete":
                # the pair stays live until the delete is acknowledged; a change of the other
                # side meanwhile meets the delete again (sync rule D6) instead of a gone record
                self._pending(action, f"{DELETED_PENDING}{side}")
            self.ctx.tally.failed += 1
            self.ctx.recorder.items([retry_item(action, exc, entry.attempts, entry.dead)])
        else:
            raise exc
        self.ctx.tally.add(action.target, "skipped")
        self._tick()
        if self._storm >= STORM:
            # the provider is failing, not the records: stop; nothing advances
            raise RetriableError(f"{STORM} writes in a row failed; the run stops ({exc})")

    def _pending(self, action: Action, reason: str) -> None:
        """The refused write stays pending on its pair: never absorbed into a snapshot, and
        planned again from fresh reads of both sides when either side changes."""
        link = self.ctx.links.of(action.crm_id, action.cc_id)
        if link is None or link.cc_id != action.cc_id:
            return
        with self.ctx.recorder.sessions.begin() as session:
            repos.mark_pending(session, self.ctx.recorder.connector_id, [link.id], reason)

    def _count(self, action: Action, outcome: str) -> None:
        self._storm = 0
        self.ctx.tally.add(action.target, outcome)
        self.ctx.tally.conflicts.extend(_conflicts(action))
        side, record_id = source_id(action)
        self.succeeded[side].append(record_id)
        self._tick()

    def _tick(self) -> None:
        self._done += 1
        if self.ctx.progress is not None:
            self.ctx.progress("apply", self._done, self._total)

    # -- steps ---------

    def _bookkeeping(self, plan: Plan, written: set[tuple[str | None, str | None]]) -> None:
        links: dict[str, LinkWrite] = {}
        tombstones, unlinks = [], []
        for action in plan.links:
            if action.kind in ("link", "resnapshot"):
                # a pair with writes pending gets its link from those writes: storing the
                # snapshots first would turn a crash before the write into a lost update. A
                # take-over is stored at once with the old record's snapshot as its base, so
                # the write is planned again after a failure or a crash.
                if (action.crm_id, action.cc_id) in written and action.note != TOOK_OVER:
                    continue
                if action.crm_id and action.cc_id:
                    links[action.crm_id] = self.snaps.link_from(
                        action.crm_id, action.cc_id, action.snapshots
                    )
            elif action.kind == "tombstone":
                tombstones.append(action)
            elif action.kind == "unlink":
                unlinks.append(action)
        if links:
            self.ctx.recorder.applied(list(links.values()), [])
        self._tombstone(tombstones)
        self._unlink(unlinks)

    def _tombstone(self, actions: list[Action]) -> None:
        for side in ("crm", "cc"):
            mine = [a for a in actions if ("cc" if a.note == "cc deleted" else "crm") == side]
            ids = [link.id for a in mine if (link := self.ctx.links.of(a.crm_id, a.cc_id))]
            if ids:
                self.ctx.recorder.tombstoned(ids, side, [])

    def _unlink(self, actions: list[Action]) -> None:
        """Unlink pairs that left the scope; each is logged (skipped, ``out_of_scope``) so the
        Sync Log says why the record no longer syncs."""
        ids = [link.id for a in actions if (link := self.ctx.links.of(a.crm_id, a.cc_id))]
        items = [item_for(a, "skipped") for a in actions if a.reason]
        for action in actions:
            if action.reason:
                self.ctx.tally.add(action.target, "skipped")
        if ids or items:
            self.ctx.recorder.archived(ids, items)

    def _skips(self, actions: list[Action]) -> None:
        items: list[RunItemWrite] = []
        for action in actions:
            if action.kind == "skip" and action.attention:
                # listed once per address; its candidates follow the plan even when the
                # skip itself is not new (a new duplicate joined the others)
                self.ctx.recorder.attention(action.attention)
            if action.kind == "skip" and action.new:
                items.append(item_for(action, "skipped"))
                self.ctx.tally.add(action.target, "skipped")
        if items:
            self.ctx.recorder.items(items)

    def _write_pair(self, crm_action: Action, cc_action: Action) -> None:
        """Both sides of one pair: the link is stored once both writes went through."""
        crm_id, cc_id = crm_action.crm_id or "", cc_action.cc_id or ""
        try:
            crm_written = self.crm.update_one(crm_action)
            cc_written = self.cc.update_one(cc_action)
        except (SkippableRecordError, RetriableError) as exc:
            self.failed(cc_action, exc)
            return
        self.ctx.reads["crm"].remember([crm_written], self.ctx.mapping)
        link = self.snaps.link_after(crm_id, cc_id, cc_written, "cc")
        items = [
            item_for(crm_action, "updated", crm_id=crm_id, cc_id=cc_id),
            item_for(cc_action, "updated", crm_id=crm_id, cc_id=cc_id),
        ]
        self.ctx.recorder.applied([link], items)
        self._count(crm_action, "updated")
        self._count(cc_action, "updated")


def _paired_updates(plan: Plan) -> list[tuple[Action, Action]]:
    cc_updates = {
        (a.crm_id or "", a.cc_id or ""): a
        for a in plan.cc
        if a.kind == "update" and a.crm_id and a.cc_id
    }
    out = []
    for action in plan.crm:
        key = (action.crm_id or "", action.cc_id or "")
        if action.kind == "update" and key in cc_updates:
            out.append((action, cc_updates[key]))
    return out


def _written_pairs(plan: Plan) -> set[tuple[str | None, str | None]]:
    return {(a.crm_id, a.cc_id) for a in (*plan.crm, *plan.cc) if a.is_write}


def _conflicts(action: Action) -> list[dict[str, str]]:
    return [
        {
            "crm_id": action.crm_id or "",
            "cc_id": action.cc_id or "",
            "field": c.field,
            "crm": c.crm_value,
            "cc": c.cc_value,
            "winner": c.winner,
        }
        for c in action.conflicts
    ]


def utcnow() -> datetime:
    """The current instant, aware UTC."""
    return datetime.now(UTC)
