"""The planner's inputs and outputs (plain frozen values; no I/O).

The runner maps what it read into ``SideRecord``s, hands the touched links as ``LinkState``s
and gets back a ``Plan``: per target side a list of ``Action``s, bookkeeping on links, a
first-sync matching report, and the counts of the Sync Log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from ccsync.connectors.base import Schema, Side
from ccsync.domain.choices import CcDeletePolicy, ConflictPolicy, CrmDeletePolicy, Direction
from ccsync.domain.contact import Canonical, Consent
from ccsync.engine.mapping_rows import FieldMapping
from ccsync.engine.validation import Issue

ActionKind = Literal[
    "create",
    "update",
    "delete",
    "unlist",
    "revive",
    "skip",
    "link",
    "unlink",
    "tombstone",
    "resnapshot",
]
WRITE_KINDS = frozenset({"create", "update", "delete", "unlist", "revive"})


@dataclass(frozen=True, slots=True)
class SideRecord:
    """One record of one side, mapped to the canonical form.

    Attributes:
        id: the side's record id.
        updated_at: server modification time, aware UTC.
        canonical: the canonical form of what the server returned.
        consent: the CC permission (None on the CRM side).
        deleted: True when the side reports the record deleted (CC soft delete).
        name: a display name for logs.
    """

    id: str
    updated_at: datetime
    canonical: Canonical
    consent: Consent | None = None
    deleted: bool = False
    name: str = ""


@dataclass(frozen=True, slots=True)
class LinkState:
    """A stored link with its last-synced snapshots (canonical, one per side).

    ``cc_deleted`` (tombstoned links only) says the CC contact was deleted when the pair was
    tombstoned, so its coming back is a revival (sync rule D5).
    """

    crm_id: str
    cc_id: str
    crm_snapshot: Canonical | None
    cc_snapshot: Canonical | None
    cc_permission: str | None = None
    tombstoned: bool = False
    cc_deleted: bool = False


@dataclass(frozen=True, slots=True)
class PlanSettings:
    """The connector settings the planner obeys."""

    mapping: FieldMapping
    direction: Direction = "both"
    conflict_policy: ConflictPolicy = "newest"
    crm_delete_policy: CrmDeletePolicy = "mirror"
    cc_delete_policy: CcDeletePolicy = "mirror"
    delete_wins: bool = False
    create_unsubscribed: bool = False
    first_run: bool = False
    cutoff: datetime | None = None
    linked_pairs: int = 0
    crm_schema: Schema = field(default_factory=lambda: Schema(fields={}))

    @property
    def to_cc(self) -> bool:
        """True when field changes may be written into Constant Contact."""
        return self.direction != "cc_to_crm"

    @property
    def to_crm(self) -> bool:
        """True when field changes may be written into Vtiger."""
        return self.direction != "crm_to_cc"


@dataclass(frozen=True, slots=True)
class PlanInput:
    """Everything one run read, mapped.

    Attributes:
        crm_changes / cc_changes: changed (or, on a first run, all) records of each side.
        crm_deleted / cc_deleted: ids the side reports deleted (not in the changes).
        crm_out_of_scope / cc_out_of_scope: ids that left the connector's scope.
        links: the live links touched by these changes, the tombstoned links of revived or
            restored records, and every live link whose snapshot email equals the email of an
            unlinked record here.
        crm_all / cc_all: on a first run, full listings of both sides (CC with deleted and
            unsubscribed contacts), for matching.
        crm_twins / cc_twins: full records of email twins of unlinked records, and of the other
            side of a tombstoned link whose record came back.
        last_skipped: ``"<side>:<id>"`` → fingerprint of the record when it was last skipped.
        crm_optouts: casefolded addresses of every Vtiger contact last seen with Email Opt Out
            = 1 (kept in the store across runs): no CC contact with one of them stays
            subscribed.
        crm_retries: Vtiger id → (kind, time) of its write that failed and is retried now.
        moved: Vtiger id of a live pair → the addresses it lets go of in this run (both sides
            now have another one): the pair no longer holds them.
    """

    crm_changes: Sequence[SideRecord] = ()
    cc_changes: Sequence[SideRecord] = ()
    crm_deleted: Sequence[str] = ()
    cc_deleted: Sequence[str] = ()
    crm_out_of_scope: Sequence[str] = ()
    cc_out_of_scope: Sequence[str] = ()
    links: Sequence[LinkState] = ()
    crm_all: Sequence[SideRecord] = ()
    cc_all: Sequence[SideRecord] = ()
    crm_twins: Sequence[SideRecord] = ()
    cc_twins: Sequence[SideRecord] = ()
    last_skipped: Mapping[str, str] = field(default_factory=dict)
    crm_optouts: frozenset[str] = frozenset()
    crm_retries: Mapping[str, tuple[str, datetime]] = field(default_factory=dict)
    moved: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Conflict:
    """A field changed on both sides to different values, and who won."""

    field: str
    crm_value: str
    cc_value: str
    winner: Side


@dataclass(slots=True)
class Action:
    """One planned step.

    Attributes:
        kind: create, update, delete, unlist, revive, skip (writes and skips), or link,
            unlink, tombstone, resnapshot (bookkeeping on the link table).
        target: the side written (for bookkeeping: the side whose record triggered it).
        crm_id / cc_id: the ids concerned (None for a record still to be created).
        values: the canonical values to have on ``target`` (the whole record for a CC PUT or a
            create; only changed fields for a Vtiger revise).
        diff: field → (old, new) on ``target``.
        reason: a code of ``engine.reasons`` (skips, holds, notes such as ``optout_sticky``).
        message: the human explanation.
        conflicts: fields resolved by the conflict policy.
        consent: the ``permission_to_send`` a consent rule sets in CC (``unsubscribed``).
        source: the side whose change caused the action.
        name: display name of the record.
        note: extra label for the log (``revived``, ``restored``, ``first match``).
        warnings: non-blocking issues (``truncated``, ``lossy_in_crm``).
        new: for skips, True when the record changed since it was last skipped (counted).
        fingerprint: for skips, the fingerprint the runner stores under ``last_skipped``.
        import_ok: for CC creates and updates, True when a JSON import row may carry it.
        snapshots: for link/resnapshot, the (crm, cc) canonical forms to store.
        candidates: for ambiguous duplicates, every candidate id.
        attention: for ambiguous duplicates, what "needs attention" shows: the address
            (``email``), the Constant Contact contact holding it (``cc_id``, "" when none) and
            each candidate's ``crm_id``, ``name`` and ``email`` as written in Vtiger.
    """

    kind: ActionKind
    target: Side
    crm_id: str | None = None
    cc_id: str | None = None
    values: Canonical = field(default_factory=dict)
    diff: dict[str, tuple[str, str]] = field(default_factory=dict)
    reason: str = ""
    message: str = ""
    conflicts: list[Conflict] = field(default_factory=list)
    consent: str | None = None
    source: Side | None = None
    name: str = ""
    note: str = ""
    warnings: list[Issue] = field(default_factory=list)
    new: bool = True
    fingerprint: str = ""
    import_ok: bool = False
    snapshots: tuple[Canonical | None, Canonical | None] | None = None
    candidates: tuple[str, ...] = ()
    attention: Mapping[str, Any] | None = None

    @property
    def skip_key(self) -> str:
        """``"<side>:<id>"`` of the record whose values were refused (for ``last_skipped``)."""
        if self.target == "cc":
            return f"crm:{self.crm_id}" if self.crm_id else f"cc:{self.cc_id}"
        return f"cc:{self.cc_id}" if self.cc_id else f"crm:{self.crm_id}"

    @property
    def is_write(self) -> bool:
        """True for actions that write to a side."""
        return self.kind in WRITE_KINDS


@dataclass(slots=True)
class MatchingReport:
    """The first-sync matching report of the Preview (sync rule P4); lists of ids."""

    matched: list[tuple[str, str]] = field(default_factory=list)
    ambiguous: list[tuple[str, ...]] = field(default_factory=list)
    no_email: list[str] = field(default_factory=list)
    invalid_email: list[str] = field(default_factory=list)
    no_last_name: list[str] = field(default_factory=list)
    cc_deleted_twins: list[tuple[str, str]] = field(default_factory=list)
    cc_unsubscribed_twins: list[tuple[str, str]] = field(default_factory=list)
    before_cutoff: list[str] = field(default_factory=list)


COUNT_KEYS = {
    "create": "created",
    "revive": "created",
    "update": "updated",
    "delete": "deleted",
    "unlist": "deleted",
    "skip": "skipped",
}


@dataclass(slots=True)
class Plan:
    """What a run will do: per target side, and on the link table."""

    crm: list[Action] = field(default_factory=list)
    cc: list[Action] = field(default_factory=list)
    links: list[Action] = field(default_factory=list)
    report: MatchingReport = field(default_factory=MatchingReport)
    preview_required: bool = False

    def side(self, target: Side) -> list[Action]:
        """The actions written to (or skipped on) ``target``."""
        return self.crm if target == "crm" else self.cc

    def add(self, action: Action) -> None:
        """Append ``action`` to its list (bookkeeping kinds go to ``links``)."""
        if action.kind in WRITE_KINDS or action.kind == "skip":
            self.side(action.target).append(action)
        else:
            self.links.append(action)

    def counts(self) -> dict[str, dict[str, int]]:
        """The Sync Log's two tables; a skip counts only when it is ``new``."""
        out = {
            s: dict.fromkeys(("created", "updated", "skipped", "deleted"), 0) for s in ("cc", "crm")
        }
        for target in ("cc", "crm"):
            for action in self.side(target):
                if action.kind != "skip" or action.new:
                    out[target][COUNT_KEYS[action.kind]] += 1
        return out

    @property
    def writes(self) -> int:
        """The number of planned writes on both sides."""
        return sum(1 for a in (*self.crm, *self.cc) if a.is_write)
