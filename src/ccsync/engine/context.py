"""The planner's working state and the helpers that turn decisions into validated actions.

Every write passes through ``write_crm`` / ``write_cc``: they validate against the target,
apply the allowed fixes (truncation, Vtiger's 3-byte UTF-8), and either add the action with
its warnings or add a skip with the precise reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from ccsync.connectors.base import Side
from ccsync.domain.contact import EMAIL, EMAILOPTOUT, UNSUBSCRIBED, Canonical, fingerprint
from ccsync.domain.normalize import email_problem
from ccsync.engine import reasons
from ccsync.engine.plan_types import (
    Action,
    ActionKind,
    Conflict,
    Plan,
    PlanInput,
    PlanSettings,
    SideRecord,
)
from ccsync.engine.validation import (
    CC_IMPORT_EMAIL_MAX,
    Issue,
    cc_update_is_plain,
    prepare_for_cc,
    prepare_for_crm,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class Target:
    """Who a write is about: both ids (None for a record still to be created) and context."""

    crm_id: str | None
    cc_id: str | None
    name: str = ""
    source: Side | None = None
    conflicts: Sequence[Conflict] = ()
    snapshots: tuple[Canonical | None, Canonical | None] | None = None
    note: str = ""
    reason: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class Context:
    """Indexes over the input plus the plan being built."""

    __slots__ = (
        "cc_by_id",
        "crm_by_email",
        "cc_deleted",
        "cc_out",
        "crm_deleted",
        "crm_out",
        "inp",
        "mapping",
        "optouts",
        "plan",
        "s",
        "schema",
        "to_cc",
        "to_crm",
    )

    def __init__(self, inp: PlanInput, settings: PlanSettings) -> None:
        self.inp, self.s, self.plan = inp, settings, Plan()
        self.mapping, self.schema = settings.mapping, settings.crm_schema
        # The direction properties, read once: every changed pair asks for them.
        self.to_cc, self.to_crm = settings.to_cc, settings.to_crm
        self.cc_by_id: dict[str, SideRecord] | None = None
        self.crm_by_email: dict[str, list[str]] | None = None
        self.crm_deleted, self.cc_deleted = frozenset(inp.crm_deleted), frozenset(inp.cc_deleted)
        self.crm_out = frozenset(inp.crm_out_of_scope)
        self.cc_out = frozenset(inp.cc_out_of_scope)
        self.optouts = inp.crm_optouts

    def may_push(self, record: SideRecord | None) -> bool:
        """False when a first run's cutoff ("Sync Records From") excludes ``record``."""
        s = self.s
        if record is None or not s.first_run or s.cutoff is None:
            return True
        return record.updated_at >= s.cutoff

    def crm_holders(self, values: Canonical) -> list[str]:
        """Unlinked live Vtiger contacts of this run (changes and twins) with ``values``' email,
        compared casefolded."""
        if self.crm_by_email is None:
            linked = {x.crm_id for x in self.inp.links if not x.tombstoned}
            self.crm_by_email = {}
            for record in (*self.inp.crm_changes, *self.inp.crm_twins):
                if record.deleted or record.id in linked:
                    continue
                key = record.canonical.get(EMAIL, "").strip().casefold()
                ids = self.crm_by_email.setdefault(key, [])
                if record.id not in ids:
                    ids.append(record.id)
        key = values.get(EMAIL, "").strip().casefold()
        return self.crm_by_email.get(key, []) if key else []

    def cc_record(self, cc_id: str) -> SideRecord | None:
        """The freshest CC record with ``cc_id`` among changes, twins and listings."""
        if self.cc_by_id is None:
            inp = self.inp
            pools: Iterable[SideRecord] = (*inp.cc_all, *inp.cc_twins, *inp.cc_changes)
            self.cc_by_id = {r.id: r for r in pools}
        return self.cc_by_id.get(cc_id)

    def skip(
        self,
        target: Side,
        code: str,
        who: Target,
        values: Mapping[str, str],
        message: str = "",
        candidates: tuple[str, ...] = (),
    ) -> Action:
        """Add a skip; it is ``new`` (counted and logged) when ``values`` or the reason differ
        from the record's last skip (an ambiguous duplicate left alone is then logged for its
        new reason, never silently dropped)."""
        action = Action(
            "skip",
            target,
            who.crm_id,
            who.cc_id,
            reason=code,
            name=who.name,
            source=who.source,
            conflicts=list(who.conflicts),
            candidates=candidates,
        )
        action.message = message or reasons.message(code, side=target, **who.extra)
        action.fingerprint = f"{code}:{fingerprint(values)}"
        action.new = self.inp.last_skipped.get(action.skip_key) != action.fingerprint
        self.plan.add(action)
        return action

    def bookkeep(self, kind: ActionKind, target: Side, who: Target) -> Action:
        """Add a link-table action (link, unlink, tombstone, resnapshot)."""
        action = Action(
            kind,
            target,
            who.crm_id,
            who.cc_id,
            reason=who.reason,
            name=who.name,
            note=who.note,
            source=who.source,
            snapshots=who.snapshots,
        )
        if who.reason:
            action.message = reasons.message(who.reason, side=target)
        self.plan.add(action)
        return action

    def write_crm(
        self, values: Canonical, current: Mapping[str, str] | None, who: Target
    ) -> Action | None:
        """Plan a Vtiger create (``current`` None) or revise of ``values``; validate first."""
        creating = current is None
        problem = email_problem(values[EMAIL]) if EMAIL in values else None
        if problem:
            code = reasons.CC_NO_EMAIL if problem == reasons.NO_EMAIL else problem
            self.skip("crm", code, who, values, candidates=())
            return None
        fixed, issues = prepare_for_crm(values, self.schema, creating=creating)
        if issues and self._refused("crm", issues, who, values):
            return None
        base = current or {}
        if not creating and issues:
            equal = self.mapping.equal
            fixed = {k: v for k, v in fixed.items() if not equal(k, base.get(k, ""), v)}
            if not fixed:
                return None
        return self._add(
            "create" if creating else "update",
            "crm",
            fixed,
            base,
            who,
            [i for i in issues if not i.blocking] if issues else [],
        )

    def write_cc(
        self,
        kind: ActionKind,
        full: Canonical,
        current: Mapping[str, str] | None,
        who: Target,
        *,
        consent: str | None = None,
        crm_optout: str = "0",
        cc_unsubscribed: bool = False,
        changes: Mapping[str, str] | None = None,
    ) -> Action | None:
        """Plan a CC create, update (full merged canonical) or revive; validate first.

        Only the values that change are validated on an update (``changes`` when the caller
        knows them), so a linked pair costs no email validation unless its email changes.
        """
        base = current or {}
        equal = self.mapping.equal
        if changes is None:
            changes = {k: v for k, v in full.items() if not equal(k, base.get(k, ""), v)}
        changed = changes
        if kind == "update" and not changed and consent is None:
            return None
        partial = current is not None
        fixed: Mapping[str, str] = changed
        issues: list[Issue] = []  # prepare_for_cc of a plain update: a copy and no issue
        if not (partial and cc_update_is_plain(changed)):
            checked = changed if partial else full
            fixed, issues = prepare_for_cc(checked, self.mapping, partial=partial)
        if issues and self._refused("cc", issues, who, full):
            return None
        if issues:  # a fix (truncation) may have made a value equal to what CC has
            full = {**full, **fixed}
            changed = {k: v for k, v in fixed.items() if not equal(k, base.get(k, ""), v)}
            if kind == "update" and not changed and consent is None:
                return None
        if self.optouts and consent != UNSUBSCRIBED and not cc_unsubscribed:
            if full.get(EMAIL, "").strip().casefold() in self.optouts:
                # consent beyond this run: a Vtiger contact with this email opted out
                if kind == "create" and not self.s.create_unsubscribed:
                    self.skip("cc", reasons.CRM_TWIN_OPTED_OUT, who, full)
                    return None
                consent = UNSUBSCRIBED
                who = replace(who, reason=who.reason or reasons.CRM_TWIN_OPTED_OUT)
        warnings = [i for i in issues if not i.blocking] if issues else []
        import_ok = _import_ok(kind, full, changed, consent, crm_optout, cc_unsubscribed)
        return self._add(kind, "cc", full, base, who, warnings, changed, consent, import_ok)

    def _refused(
        self, target: Side, issues: list[Issue], who: Target, values: Mapping[str, str]
    ) -> bool:
        """Skip with the first blocking issue, if any; True when the write is refused."""
        blocking = next((i for i in issues if i.blocking), None)
        if blocking is not None:
            self.skip(target, blocking.code, who, values, blocking.message)
        return blocking is not None

    def _add(
        self,
        kind: ActionKind,
        target: Side,
        values: Canonical,
        base: Mapping[str, str],
        who: Target,
        warnings: list[Issue],
        diff_of: Mapping[str, str] | None = None,
        consent: str | None = None,
        import_ok: bool = False,
    ) -> Action:
        get = base.get
        diff: dict[str, tuple[str, str]] = {}
        # A plain loop: a comprehension's frame costs more than the one or two fields of a
        # usual update.
        for k, v in (values if diff_of is None else diff_of).items():
            old = get(k, "")
            if old != v:
                diff[k] = (old, v)
        conflicts = [c for c in who.conflicts if c.winner != target] if who.conflicts else []
        message = reasons.message(who.reason, side=target) if who.reason else ""
        # Positional, in the order of Action's fields: keywords cost twice as much, and this
        # runs for every write of a plan (test_planner_fast_paths.py pins the order).
        action = Action(
            kind,
            target,
            who.crm_id,
            who.cc_id,
            values,
            diff,
            who.reason,
            message,
            conflicts,
            consent,
            who.source,
            who.name,
            who.note,
            warnings,
            True,
            "",
            import_ok,
            who.snapshots,
        )
        # Plan.add without its dispatch: a write always goes to its target's list.
        (self.plan.crm if target == "crm" else self.plan.cc).append(action)
        return action


def _import_ok(
    kind: ActionKind,
    values: Mapping[str, str],
    changed: Mapping[str, str],
    consent: str | None,
    crm_optout: str,
    cc_unsubscribed: bool,
) -> bool:
    """Which CC writes a JSON import row may carry (sync rules W1, C5)."""
    if kind not in ("create", "update") or consent is not None or crm_optout == "1":
        return False
    if len(values.get(EMAIL, "")) > CC_IMPORT_EMAIL_MAX:
        return False
    if kind == "create":
        return True
    cleared = "" in changed.values()
    return not cleared and EMAIL not in changed and not cc_unsubscribed


def optout_of(canonical: Mapping[str, str]) -> str:
    """Vtiger's Email Opt Out in a CRM canonical form (``"0"`` when not mapped)."""
    return canonical.get(EMAILOPTOUT, "0")


def unsubscribed(record: SideRecord | None, fallback: str | None = None) -> bool:
    """True when a CC record (or the stored permission) says unsubscribed."""
    if record is not None and record.consent is not None:
        return record.consent.permission == UNSUBSCRIBED
    return fallback == UNSUBSCRIBED
