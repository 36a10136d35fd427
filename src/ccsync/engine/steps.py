"""The steps of one run between taking the lease and releasing it (sync rules Q1, W4).

read (both sides, due retries, twins) → plan (pure) → circuit breaker → Preview stop → apply
(each write recorded at once) → hold → advance watermarks (only now: every record of both change
sets is acknowledged — applied, skipped with a reason, or in the retry queue).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from ccsync.connectors.base import Connector, Side
from ccsync.connectors.capabilities import ScopeFilter, sees_all
from ccsync.domain.choices import DIRECTIONS, Direction
from ccsync.domain.contact import EMAIL, EMAILOPTOUT, SUBSCRIBED_STATES, UNSUBSCRIBED
from ccsync.engine.apply import DELETED_PENDING, Applier, ApplyContext
from ccsync.engine.breaker import apply_breaker
from ccsync.engine.config import ConnectorConfig, load_config, parse_records_from
from ccsync.engine.context import optout_of
from ccsync.engine.mapping import CustomField, FieldMapping, default_mapping
from ccsync.engine.outcome import LinkIndex, Tally, item_for
from ccsync.engine.plan_types import (
    COUNT_KEYS,
    Action,
    LinkState,
    Plan,
    PlanInput,
    PlanSettings,
)
from ccsync.engine.planner import build_plan
from ccsync.engine.reading import SideRead, email_of, find_twins, holders, read_side
from ccsync.engine.reasons import AMBIGUOUS_CRM_DUPLICATES as AMBIGUOUS
from ccsync.engine.recording import Recorder
from ccsync.engine.result import Progress
from ccsync.engine.skips import blocked_by, last_skipped
from ccsync.errors import ConfigError
from ccsync.store import repos
from ccsync.store.repos import ConnectorRow, HeldWrite, LinkRow, RunItemWrite


@dataclass(slots=True)
class RunOptions:
    """How this run was asked for.

    Attributes:
        confirm: approve a first run that would stop at its Preview.
        preview: plan only; write nothing.
        breaker: evaluate the circuit breaker (off when an admin confirms held actions).
        pop_held: take the held actions and plan their records again (Confirm).
        inject: source ids to read fresh and plan again, per side (retries, held).
    """

    confirm: bool = False
    preview: bool = False
    breaker: bool = True
    pop_held: bool = False
    inject: dict[Side, list[str]] = field(default_factory=lambda: {"crm": [], "cc": []})


@dataclass(slots=True)
class StepsOutcome:
    """What the steps report to the runner."""

    status: str
    tally: Tally
    held: dict[str, int]
    preview: list[dict[str, Any]]
    preview_required: bool = False
    matching: dict[str, int] = field(default_factory=dict)


def mapping_of(config: ConnectorConfig) -> FieldMapping:
    """The field mapping a connector's settings select."""
    return default_mapping(
        extended=config.sync.extended_mapping,
        office_phone_as_work=config.sync.office_phone_as_work,
        custom=[_custom_field(c) for c in config.sync.custom_fields],
    )


_DIRECTIONS: dict[str, Direction] = {d: d for d in DIRECTIONS}


def _custom_field(raw: dict[str, str]) -> CustomField:
    """One mapped custom field of the settings (the web form validated it when it was saved)."""
    name = raw.get("direction", "both")
    direction = _DIRECTIONS.get(name)
    if direction is None:
        raise ConfigError(f"custom field {raw.get('crm_field')}: unknown direction {name!r}")
    return CustomField(raw["crm_field"], raw["cc_id"], raw["cc_name"], direction)


class RunSteps:
    """One run's work, given open connectors and a recorder with a started run."""

    def __init__(
        self,
        row: ConnectorRow,
        crm: Connector,
        cc: Connector,
        recorder: Recorder,
        options: RunOptions,
        progress: Progress | None = None,
    ) -> None:
        self.row, self.crm, self.cc, self.recorder = row, crm, cc, recorder
        self.options, self.progress = options, progress
        self.config = load_config(row)
        self.mapping = mapping_of(self.config)
        self._missing: dict[Side, list[str]] = {"crm": [], "cc": []}
        self._out: dict[Side, list[str]] = {"crm": [], "cc": []}
        self._due: list[tuple[str, str]] = []
        self._retried: dict[str, tuple[str, datetime]] = {}
        self._moved: dict[str, frozenset[str]] = {}  # CRM id → addresses its pair lets go of
        self._settled: dict[int, str] = {}  # attention items this run resolves → email

    def run(self, states: dict[Side, str | None], cutoff: datetime | None) -> StepsOutcome:
        """Read, plan, apply and advance; returns the outcome (raises run-level errors)."""
        first_run = states["crm"] is None or states["cc"] is None
        reads = self._read(states)
        links = LinkIndex(self.recorder.links())
        self._absent_from_listing(reads, links)
        self._pending_partners(reads, links)
        self._ambiguity_partners(reads)
        self._freed_addresses(reads, links)
        self._blocked_creates(reads, links)
        settings = self._plan_settings(first_run, cutoff, links)
        plan = build_plan(self._plan_input(reads, links, first_run), settings)
        held: list[Action] = []
        if self.options.breaker:
            plan, held = apply_breaker(plan, settings)
        tally = Tally()
        if self.options.preview or (plan.preview_required and not self.options.confirm):
            tally.counts = plan.counts()
            rows, required = preview_rows(plan), plan.preview_required
            self.recorder.items(planned_items(plan))  # the Preview page pages through them
            return StepsOutcome("preview", tally, {}, rows, required, matching_counts(plan))
        applier = self._apply(plan, reads, links, tally)
        self._settle_retries(applier)
        self._resolve_settled(plan)
        self.recorder.hold([held_write(a) for a in held])
        self.recorder.put_states(applier.states_after(plan))
        status = "partial" if tally.failed else "succeeded"
        return StepsOutcome(status, tally, _held_counts(held), [])

    # -- read ---------

    def _read(self, states: dict[Side, str | None]) -> dict[Side, SideRead]:
        due = self.recorder.due_retries()
        self._due = [(e.source_side, e.record_id) for e in due]
        self._retried = {
            e.record_id: (str(e.payload.get("kind") or ""), failed_at)
            for e in due
            if e.source_side == "crm" and (failed_at := _time(e.payload.get("failed_at")))
        }
        inject = self.options.inject
        retry: dict[Side, list[str]] = {
            "crm": [*inject["crm"], *(e.record_id for e in due if e.source_side == "crm")],
            "cc": [*inject["cc"], *(e.record_id for e in due if e.source_side == "cc")],
        }
        self._tick("read Vtiger")
        crm = read_side(self.crm, states["crm"], self.mapping, retry["crm"])
        self._tick("read Constant Contact")
        cc = read_side(self.cc, states["cc"], self.mapping, retry["cc"])
        for side, read in (("crm", crm), ("cc", cc)):
            self.recorder.revive_dead(side, [r.id for r in read.changes.records])
        # retried CC contacts read by id that left the scope meanwhile: never created in the CRM
        listed = {r.id for r in cc.changes.records}
        by_id = [cc.fresh[i] for i in cc.extra_changes if i not in listed]
        if by_id and isinstance(self.cc, ScopeFilter):
            self._out["cc"] += self.cc.out_of_scope(by_id)
        # retried ids that are gone now: planned as deletes of that side
        self._missing = {
            "crm": [i for i in retry["crm"] if i not in crm.fresh],
            "cc": [i for i in retry["cc"] if i not in cc.fresh],
        }
        return {"crm": crm, "cc": cc}

    def _settle_retries(self, applier: Applier) -> None:
        """A retried record this run planned without a new failure is acknowledged: applied,
        skipped with a reason, or nothing left to do (its pair was tombstoned, taken over or
        revived meanwhile). Its entry goes, so no entry stays at one attempt for ever."""
        done: dict[Side, list[str]] = {"crm": [], "cc": []}
        for side, record_id in self._due:
            if side in done and (side, record_id) not in applier.failed_ids:
                done[side].append(record_id)
        for side, ids in done.items():
            self.recorder.succeeded(side, ids)

    def _absent_from_listing(self, reads: dict[Side, SideRead], links: LinkIndex) -> None:
        """Linked records missing from a complete listing: gone, or out of scope.

        A first run (again, after a crash or an account change) has no inventory to report
        deletions from, but its listing is complete: a linked record it does not hold is read
        by id. Still readable → it left the scope (unlink, never delete). Not readable → deleted,
        except for a non-admin Vtiger user, for whom "hidden" and "deleted" look alike.
        """
        live = [r for r in links.by_crm.values() if not r.tombstoned]
        crm, cc = reads["crm"], reads["cc"]
        if crm.changes.complete:
            absent = [r.crm_id for r in live if r.crm_id not in crm.fresh]
            found = {r.id for r in self.crm.get_many(absent)} if absent else set()
            gone = [i for i in absent if i not in found]
            self._out["crm"] += [i for i in absent if i in found]
            self._missing["crm"] += gone if sees_all(self.crm) else []
            self._out["crm"] += [] if sees_all(self.crm) else gone
        if cc.changes.complete:
            # the account listing holds deleted contacts too; a list-scoped one does not
            absent = [r.cc_id for r in live if r.cc_id not in cc.fresh]
            if self.config.cc.list_scoped():
                self._out["cc"] += absent
            else:
                self._missing["cc"] += absent

    def _plan_input(
        self, reads: dict[Side, SideRead], links: LinkIndex, first_run: bool
    ) -> PlanInput:
        crm, cc = reads["crm"], reads["cc"]
        crm_twins, cc_twins = ([], []) if first_run else self._twins(reads, links)
        crm_changes, cc_changes = crm.change_records(), cc.change_records()
        keys = [f"crm:{r.id}" for r in crm_changes] + [f"cc:{r.id}" for r in cc_changes]
        crm_gone = [*crm.changes.deleted_ids, *self._missing["crm"]]
        optouts = self._optouts(crm, crm_gone) if self.mapping.has_consent else frozenset()
        return PlanInput(
            crm_changes=crm_changes,
            cc_changes=cc_changes,
            crm_deleted=[*crm.changes.deleted_ids, *self._missing["crm"]],
            cc_deleted=[*cc.changes.deleted_ids, *self._missing["cc"]],
            crm_out_of_scope=[*crm.changes.out_of_scope_ids, *self._out["crm"]],
            cc_out_of_scope=[*cc.changes.out_of_scope_ids, *self._out["cc"]],
            links=[link_state(r) for r in links.by_crm.values()],
            crm_all=crm_changes if first_run else (),
            cc_all=cc_changes if first_run else (),
            crm_twins=crm_twins,
            cc_twins=cc_twins,
            last_skipped=last_skipped(self.recorder, keys),
            crm_optouts=optouts,
            crm_retries=self._retried,
            moved=self._moved,
        )

    def _optouts(self, crm: SideRead, gone: list[str]) -> frozenset[str]:
        """Store the Email Opt Out of every Vtiger contact read; all opted-out addresses."""
        seen: dict[str, str | None] = dict.fromkeys(gone)
        for record in crm.mapped.values():
            optout = record.canonical.get(EMAILOPTOUT, "0") == "1" and not record.deleted
            seen[record.id] = record.canonical.get(EMAIL, "").strip().casefold() if optout else None
        # a full listing reports no deletions: what it lacks is gone (hidden, for a user who
        # is not an admin — kept, since that contact's consent still holds)
        complete = crm.changes.complete and sees_all(self.crm)
        with self.recorder.sessions.begin() as session:
            repos.put_optouts(session, self.recorder.connector_id, seen, complete=complete)
            return repos.optout_emails(session, self.recorder.connector_id)

    def _pending_partners(self, reads: dict[Side, SideRead], links: LinkIndex) -> None:
        """A pair with a refused write (``links.pending``) is planned from fresh reads of both
        sides whenever either side changed, so the refused value is retried, never absorbed."""
        want: dict[Side, list[str]] = {"crm": [], "cc": []}
        for row in links.by_crm.values():
            if row.pending is None or row.tombstoned:
                continue
            crm_seen, cc_seen = row.crm_id in reads["crm"].mapped, row.cc_id in reads["cc"].mapped
            if row.pending.startswith(DELETED_PENDING):
                # a delete not acknowledged yet: a change of the other side meets it (sync rule D6)
                gone: Side = "cc" if row.pending.endswith("cc") else "crm"
                if (cc_seen and not crm_seen) if gone == "crm" else (crm_seen and not cc_seen):
                    self._missing[gone].append(row.crm_id if gone == "crm" else row.cc_id)
                continue
            if crm_seen and not cc_seen:
                want["cc"].append(row.cc_id)
            elif cc_seen and not crm_seen:
                want["crm"].append(row.crm_id)
        for side, ids in want.items():
            if ids:
                connector = self.crm if side == "crm" else self.cc
                read = reads[side]
                read.remember(connector.get_many(ids), self.mapping)
                read.extra_changes += [i for i in ids if i in read.mapped]

    def _ambiguity_partners(self, reads: dict[Side, SideRead]) -> None:
        """Vtiger duplicates listed as ambiguous are planned again when one of them is deleted
        or changed: the others are read by id, and the item is resolved once fewer than two of
        them still share the email (the one left, and the CC contact with the address, then
        sync like any change)."""
        crm = reads["crm"]
        gone = {*crm.changes.deleted_ids, *self._missing["crm"]}
        changed = {r.id for r in crm.changes.records}
        with self.recorder.sessions.begin() as session:
            items = [
                a
                for a in repos.list_attention(session, self.recorder.connector_id)
                if a.kind == AMBIGUOUS and set(repos.candidate_ids(a.candidates)) & (gone | changed)
            ]
        freed: set[str] = set()
        for item in items:
            ids = repos.candidate_ids(item.candidates)
            wanted = [i for i in ids if i not in gone and i not in crm.fresh]
            if wanted:
                crm.remember(self.crm.get_many(wanted), self.mapping)
            left = [
                i for i in ids if i not in gone and i in crm.mapped and not crm.mapped[i].deleted
            ]
            crm.extra_changes += [i for i in left if i not in changed]
            emails = {email_of(crm.mapped[i]) for i in left}
            if len(left) < 2 or len(emails) > 1:
                self._settled[item.id] = item.email  # resolved once the run's writes are applied
                freed.add(item.email)
        if freed:  # the CC contact that has the address is planned again with what is left
            cc = reads["cc"]
            found = holders(self.cc, cc, freed, self.mapping)
            changed = {r.id for r in cc.changes.records} | set(cc.extra_changes)
            cc.extra_changes += [r.id for r in found if not r.deleted and r.id not in changed]

    def _resolve_settled(self, plan: Plan) -> None:
        """Resolve the ambiguities this run settled, unless its plan listed the address as
        ambiguous again (a new duplicate came in the same run)."""
        again = {str(a.attention.get("email")) for a in (*plan.crm, *plan.cc) if a.attention}
        with self.recorder.sessions.begin() as session:
            for item_id, email in self._settled.items():
                if email not in again:
                    repos.resolve_attention(session, item_id)

    def _freed_addresses(self, reads: dict[Side, SideRead], links: LinkIndex) -> None:
        """Addresses a pair lets go of in this run are looked up in Vtiger, and the unlinked
        contacts holding them are planned again: skipped ``email_already_linked`` while the pair
        held the address, they now take the CC contact over (its Vtiger contact was deleted),
        meet the deleted CC contact (sync rule D7), or sync like any new contact (the pair moved to
        another address on both sides). One lookup per freed address; none in a quiet run."""
        crm, cc = reads["crm"], reads["cc"]
        crm_gone = {*crm.changes.deleted_ids, *self._missing["crm"]}
        crm_gone.update(i for i, r in crm.mapped.items() if r.deleted)
        cc_gone = {*cc.changes.deleted_ids, *self._missing["cc"]}
        cc_gone.update(i for i, r in cc.mapped.items() if r.deleted)
        # a pair leaving the scope (unlinked) lets go of its address too
        crm_gone.update(crm.changes.out_of_scope_ids, self._out["crm"])
        cc_gone.update(cc.changes.out_of_scope_ids, self._out["cc"])
        rows = {i: links.by_crm[i] for i in (*crm.mapped, *crm_gone) if i in links.by_crm}
        rows.update((r.crm_id, r) for i in (*cc.mapped, *cc_gone) if (r := links.by_cc.get(i)))
        freed: set[str] = set()
        for row in rows.values():
            if row.tombstoned:
                continue
            old = {_key(row.crm_snapshot), _key(row.cc_snapshot)} - {None}
            if row.crm_id in crm_gone or row.cc_id in cc_gone:
                freed.update(k for k in old if k)
                if row.cc_id in cc.mapped:  # a CC change revives the pair under its address
                    freed.add(_key(cc.mapped[row.cc_id].canonical) or "")
                continue
            # the addresses a side moved to; the pair follows the move (or refuses it, and
            # then the duplicate's create is refused too: cc_email_in_use)
            moved_to = {
                now
                for read, record_id, snapshot in (
                    (crm, row.crm_id, row.crm_snapshot),
                    (cc, row.cc_id, row.cc_snapshot),
                )
                if record_id in read.mapped
                and (now := _key(read.mapped[record_id].canonical)) != _key(snapshot)
            }
            lost = {k for k in old - moved_to if k} if moved_to else set()
            if lost:
                self._moved[row.crm_id] = frozenset(lost)
                freed |= lost
        freed.discard("")
        if not freed:
            return
        found = holders(self.crm, crm, freed, self.mapping)
        live = {i for i, r in links.by_crm.items() if not r.tombstoned}
        changed = {r.id for r in crm.changes.records} | set(crm.extra_changes)
        crm.extra_changes += [
            r.id for r in found if not r.deleted and r.id not in live and r.id not in changed
        ]

    def _blocked_creates(self, reads: dict[Side, SideRead], links: LinkIndex) -> None:
        """Vtiger contacts whose create was refused ``cc_email_in_use`` are planned again when
        the CC contact holding the address changes, leaves the scope or is deleted (it may have
        let go of the address; in list scope nothing else would look again). One store query
        when CC reported changes; a Vtiger read only for contacts found that way."""
        changes = reads["cc"].changes
        ids = [r.id for r in changes.records] + [*changes.out_of_scope_ids, *changes.deleted_ids]
        if not ids:
            return
        crm = reads["crm"]
        changed = {r.id for r in crm.changes.records} | set(crm.extra_changes)
        blocked = [
            i for i in blocked_by(self.recorder, ids) if i not in links.by_crm and i not in changed
        ]
        wanted = [i for i in blocked if i not in crm.fresh]
        if wanted:
            crm.remember(self.crm.get_many(wanted), self.mapping)
        crm.extra_changes += [i for i in blocked if i in crm.mapped and not crm.mapped[i].deleted]

    def _twins(self, reads: dict[Side, SideRead], links: LinkIndex) -> tuple[list[Any], list[Any]]:
        """Email twins of unlinked changed records, and the far side of tombstoned pairs."""
        crm, cc = reads["crm"], reads["cc"]
        crm_free = [r for r in crm.change_records() if r.id not in links.by_crm]
        cc_free = [  # a tombstoned pair's CC contact that came back meets Vtiger's holders
            r
            for r in cc.change_records()
            if r.id not in links.by_cc or links.by_cc[r.id].tombstoned
        ]
        self._far_side(reads, links)
        cc_emails = [e for r in crm_free if (e := email_of(r))] + self._opted_out_moves(crm, links)
        crm_emails = [e for r in cc_free if (e := email_of(r))]
        self._tick("match")
        cc_twins = find_twins(self.cc, cc, cc_emails, self.mapping)
        crm_twins = find_twins(self.crm, crm, crm_emails, self.mapping)
        crm_twins += self._opted_out_holders(reads, links)
        cc_twins += self._off_scope_holders(reads, links)
        return crm_twins + self._tomb_twins(crm, links, "crm"), cc_twins + self._tomb_twins(
            cc, links, "cc"
        )

    def _off_scope_holders(self, reads: dict[Side, SideRead], links: LinkIndex) -> list[Any]:
        """List scope: the CC contacts off the list holding an address a Vtiger contact opted
        out of in this run (new to the stored opt-outs) are looked up, one call per address, so
        that sync rule C6 unsubscribes them (consent holds whatever the scope). They stay out of
        scope: never linked or created. A linked one stays with its pair (sync rule C7)."""
        if not isinstance(self.cc, ScopeFilter) or not self.mapping.has_consent:
            return []
        fresh = {
            email
            for r in reads["crm"].change_records()
            if not r.deleted and optout_of(r.canonical) == "1" and (email := email_of(r))
        }
        if not fresh:
            return []
        with self.recorder.sessions.begin() as session:
            fresh -= repos.optout_emails(session, self.recorder.connector_id)
        cc, found = reads["cc"], []
        for email in sorted(fresh):
            off = [r for r in self.cc.holders_off_scope(email) if r.id not in links.by_cc]
            found += cc.remember(off, self.mapping)
        self._out["cc"] += [r.id for r in found]
        return found

    def _opted_out_holders(self, reads: dict[Side, SideRead], links: LinkIndex) -> list[Any]:
        """The opted-out Vtiger contacts with the email of a linked CC contact that
        re-subscribed itself in this run (read by id): sync rule C4 weighs them."""
        emails = set()
        for record in reads["cc"].change_records():
            link = links.by_cc.get(record.id)
            now = record.consent.permission if record.consent else None
            if link is not None and link.cc_permission == UNSUBSCRIBED and not record.deleted:
                if now in SUBSCRIBED_STATES and (email := _key(record.canonical)):
                    emails.add(email)
        if not emails or not self.mapping.has_consent:
            return []
        with self.recorder.sessions.begin() as session:
            ids = repos.optout_holders(session, self.recorder.connector_id, sorted(emails))
        crm = reads["crm"]
        wanted = [i for i in ids if i not in crm.fresh]
        if wanted:
            crm.remember(self.crm.get_many(wanted), self.mapping)
        return [crm.mapped[i] for i in ids if i in crm.mapped]

    @staticmethod
    def _opted_out_moves(crm: SideRead, links: LinkIndex) -> list[str]:
        """New addresses of linked, opted-out Vtiger contacts: the CC contacts holding them are
        looked up so that sync rule C6 unsubscribes them (the pair's own update is refused
        ``cc_email_in_use`` and would not)."""
        out = []
        for record in crm.change_records():
            link = links.by_crm.get(record.id)
            if link is None or record.deleted or optout_of(record.canonical) != "1":
                continue
            email = email_of(record)
            if email and _key(record.canonical) != _key(link.cc_snapshot):
                out.append(email)
        return out

    def _far_side(self, reads: dict[Side, SideRead], links: LinkIndex) -> None:
        crm_ids = [
            r.crm_id for i, r in links.by_cc.items() if r.tombstoned and i in reads["cc"].mapped
        ]
        cc_ids = [
            r.cc_id for i, r in links.by_crm.items() if r.tombstoned and i in reads["crm"].mapped
        ]
        for side, ids in (("crm", crm_ids), ("cc", cc_ids)):
            read = reads[side]  # type: ignore[index]
            wanted = [i for i in ids if i not in read.fresh]
            if wanted:
                connector = self.crm if side == "crm" else self.cc
                read.remember(connector.get_many(wanted), self.mapping)

    @staticmethod
    def _tomb_twins(read: SideRead, links: LinkIndex, side: Side) -> list[Any]:
        index = links.by_crm if side == "crm" else links.by_cc
        return [read.mapped[i] for i, r in index.items() if r.tombstoned and i in read.mapped]

    # -- plan / apply ---------

    def _plan_settings(
        self, first_run: bool, cutoff: datetime | None, links: LinkIndex
    ) -> PlanSettings:
        c = self.config.sync
        return PlanSettings(
            mapping=self.mapping,
            direction=c.direction,
            conflict_policy=c.conflict_policy,
            crm_delete_policy=c.crm_delete_policy,
            cc_delete_policy=c.cc_delete_policy,
            delete_wins=c.delete_wins,
            create_unsubscribed=c.create_unsubscribed,
            first_run=first_run,
            cutoff=cutoff if first_run else None,
            linked_pairs=links.live_pairs(),
            crm_schema=self.crm.schema(),
        )

    def _apply(
        self, plan: Plan, reads: dict[Side, SideRead], links: LinkIndex, tally: Tally
    ) -> Applier:
        ctx = ApplyContext(
            self.crm, self.cc, self.mapping, self.config, reads, links, self.recorder, tally,
            self.progress,
        )  # fmt: skip
        applier = Applier(ctx)
        applier.apply(plan)
        return applier

    def _tick(self, stage: str) -> None:
        if self.progress is not None:
            self.progress(stage, 0, 0)


def first_run_cutoff(config: ConnectorConfig, now: datetime | None = None) -> datetime | None:
    """The cutoff "Sync Records From" fixes at the first run."""
    return parse_records_from(config.sync.sync_records_from, now or datetime.now(UTC))


def link_state(row: LinkRow) -> LinkState:
    """A stored link as the planner sees it."""
    return LinkState(
        crm_id=row.crm_id,
        cc_id=row.cc_id,
        crm_snapshot=row.crm_snapshot,
        cc_snapshot=row.cc_snapshot,
        cc_permission=row.cc_permission,
        tombstoned=row.tombstoned,
        cc_deleted=row.tombstone_side == "cc",
    )


def held_write(action: Action) -> HeldWrite:
    """A held action as stored (its values kept for the log)."""
    payload = {"values": dict(action.values), "reason": action.reason, "name": action.name}
    payload["source"] = action.source or ""
    return HeldWrite(action.target, action.kind, action.crm_id, action.cc_id, payload)


def matching_counts(plan: Plan) -> dict[str, int]:
    """The plan's first-sync matching report as counts per category."""
    return {name: len(ids) for name, ids in asdict(plan.report).items()}


def preview_rows(plan: Plan) -> list[dict[str, Any]]:
    """The planned writes and skips, one JSON object each (the Preview)."""
    rows = []
    for action in (*plan.crm, *plan.cc):
        rows.append(
            {
                "side": action.target,
                "action": action.kind,
                "crm_id": action.crm_id,
                "cc_id": action.cc_id,
                "name": action.name,
                "reason": action.reason,
                "diff": {k: list(v) for k, v in action.diff.items()},
                "conflicts": [asdict(c) for c in action.conflicts],
            }
        )
    return rows


def planned_items(plan: Plan) -> list[RunItemWrite]:
    """The planned writes and new skips as the preview run's items, the outcome each would
    have (``created``…), so their numbers match the Preview's two tables."""
    return [
        item_for(a, COUNT_KEYS[a.kind])
        for a in (*plan.crm, *plan.cc)
        if a.is_write or (a.kind == "skip" and a.new)
    ]


def _held_counts(held: list[Action]) -> dict[str, int]:
    out = {"crm": 0, "cc": 0}
    for action in held:
        out[action.target] += 1
    return out


def _key(snapshot: Mapping[str, str] | None) -> str | None:
    """A snapshot's email as the planner's index of linked addresses keys it: casefolded, no
    validator call (an all-changed run of 100,000 pairs would spend seconds on them)."""
    return (snapshot or {}).get(EMAIL, "").strip().casefold() or None


def _time(value: Any) -> datetime | None:
    """An ISO time stored in a retry payload (None when absent or unreadable)."""
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
