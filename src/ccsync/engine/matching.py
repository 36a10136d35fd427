"""Unlinked records: matching by normalised email (sync rules I2–I5), creates and revivals.

Matching always looks at both sides in full (the runner hands the full listings on a first run
and the email twins of every unlinked record afterwards), so an older twin is linked rather than
duplicated and a deleted or unsubscribed CC twin is found.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ccsync.connectors.base import Side
from ccsync.domain.contact import EMAIL, EMAILOPTOUT
from ccsync.domain.normalize import email_key, email_problem
from ccsync.engine import reasons
from ccsync.engine.context import Context, Target, unsubscribed
from ccsync.engine.creates import create_cc_from_crm, create_crm_from_cc, revive
from ccsync.engine.pairs import plan_pair
from ccsync.engine.plan_types import Action, LinkState, SideRecord


class _Group:
    __slots__ = ("cc", "crm", "interest")

    def __init__(self) -> None:
        self.crm: dict[str, SideRecord] = {}
        self.cc: dict[str, SideRecord] = {}
        self.interest: set[tuple[Side, str]] = set()


def _identity_skip(ctx: Context, side: Side, record: SideRecord) -> bool:
    """Skip a record whose email is empty or invalid (sync rule I3); True when skipped."""
    problem = email_problem(record.canonical.get(EMAIL, ""))
    if problem is None:
        return False
    if side == "cc":
        if not record.deleted:
            code = reasons.CC_NO_EMAIL if problem == reasons.NO_EMAIL else problem
            ctx.skip("crm", code, Target(None, record.id, record.name, "cc"), record.canonical)
        return True
    report = ctx.plan.report
    (report.no_email if problem == reasons.NO_EMAIL else report.invalid_email).append(record.id)
    who = Target(
        record.id, None, record.name, "crm", extra={"email": record.canonical.get(EMAIL, "")}
    )
    ctx.skip("cc", problem, who, record.canonical)
    return True


def _group(
    ctx: Context,
    crm_new: Sequence[SideRecord],
    cc_new: Sequence[SideRecord],
    linked: tuple[Mapping[str, LinkState], Mapping[str, LinkState]],
) -> dict[str, _Group]:
    groups: dict[str, _Group] = {}
    memo: dict[str, str | None] = {}  # raw address → key, for this plan (no LRU eviction)
    sides: tuple[tuple[Side, Sequence[SideRecord]], ...] = (("crm", crm_new), ("cc", cc_new))
    for side, records in sides:
        for record in records:
            if side == "crm" and record.deleted:
                continue  # a deleted, never linked Vtiger record has nothing to propagate
            if _identity_skip(ctx, side, record):
                continue
            key = _key(memo, record.canonical[EMAIL])
            group = groups.setdefault(key or "", _Group())
            getattr(group, side)[record.id] = record
            group.interest.add((side, record.id))
    inp = ctx.inp
    _add_pool(groups, "crm", (*inp.crm_all, *inp.crm_twins), linked[0], memo)
    _add_pool(groups, "cc", (*inp.cc_all, *inp.cc_twins), linked[1], memo)
    return groups


def _key(memo: dict[str, str | None], address: str) -> str | None:
    if address not in memo:
        memo[address] = email_key(address)
    return memo[address]


def _add_pool(
    groups: dict[str, _Group],
    side: str,
    pool: Iterable[SideRecord],
    linked: Mapping[str, LinkState],
    memo: dict[str, str | None],
) -> None:
    for record in pool:
        if record.id in linked:
            continue
        key = _key(memo, record.canonical.get(EMAIL, ""))
        group = groups.get(key or "\x00")
        if group is not None:
            getattr(group, side).setdefault(record.id, record)


def _linked_emails(
    links: Iterable[LinkState], moved: Mapping[str, frozenset[str]]
) -> dict[str, LinkState]:
    # Casefolded snapshot emails: cheap, and equal to the email_key of ordinary addresses,
    # so 100,000 links need no email-validator call.
    index: dict[str, LinkState] = {}
    for link in links:
        for snapshot in (link.crm_snapshot, link.cc_snapshot):
            if snapshot:
                index.setdefault(snapshot.get(EMAIL, "").strip().casefold(), link)
    index.pop("", None)
    for crm_id, keys in moved.items():  # a pair moving to another address lets go of these
        for key in keys:
            if key in index and index[key].crm_id == crm_id:
                del index[key]
    return index


def _holder(by_email: Mapping[str, LinkState], group: _Group) -> LinkState | None:
    """A link holding the raw (casefolded) address of a record in ``group``, if any."""
    for record in (*group.crm.values(), *group.cc.values()):
        holder = by_email.get(record.canonical.get(EMAIL, "").strip().casefold())
        if holder is not None:
            return holder
    return None


def plan_unlinked(
    ctx: Context,
    crm_new: Sequence[SideRecord],
    cc_new: Sequence[SideRecord],
    live: Sequence[LinkState],
    linked: tuple[Mapping[str, LinkState], Mapping[str, LinkState]],
) -> None:
    """Plan unlinked records of both sides (changed ones, or every record on a first run)."""
    if not crm_new and not cc_new:
        return
    groups = _group(ctx, crm_new, cc_new, linked)
    by_email = _linked_emails(live, ctx.inp.moved) if groups else {}
    for key, group in groups.items():
        if _off_list(ctx, group):
            continue  # off-list CC contacts are never linked: no ambiguity, no holder
        holder = by_email.get(key) or _holder(by_email, group)
        if holder is not None:
            _skip_all(
                ctx,
                group,
                reasons.EMAIL_ALREADY_LINKED,
                (),
                {"email": key, "crm_id": holder.crm_id, "cc_id": holder.cc_id},
            )
        elif len(group.crm) > 1:
            candidates = tuple(group.crm)
            ctx.plan.report.ambiguous.append(candidates)
            skips = _skip_all(
                ctx,
                group,
                reasons.AMBIGUOUS_CRM_DUPLICATES,
                candidates,
                {"email": key, "candidates": ", ".join(candidates)},
            )
            if skips:
                skips[0].attention = _attention(key, group)
        else:
            _plan_group(ctx, group)


def _attention(key: str, group: _Group) -> dict[str, Any]:
    """What "needs attention" lists for ambiguous duplicates: the address, the CC contact that
    holds it and each Vtiger candidate with its name and email as written."""
    live_cc = sorted(r.id for r in group.cc.values() if not r.deleted)
    return {
        "email": key,
        "cc_id": live_cc[0] if len(live_cc) == 1 else "",
        "candidates": [
            {"crm_id": r.id, "name": r.name, "email": r.canonical.get(EMAIL, "")}
            for r in sorted(group.crm.values(), key=lambda r: r.id)
        ],
    }


def _skip_all(
    ctx: Context, group: _Group, code: str, candidates: tuple[str, ...], extra: dict[str, str]
) -> list[Action]:
    """Skip every record of interest in ``group``; the skips, in order."""
    skips: list[Action] = []
    for side, record_id in sorted(group.interest):
        record = (group.crm if side == "crm" else group.cc)[record_id]
        if side == "cc" and record.deleted:
            continue
        who = Target(
            record_id if side == "crm" else None,
            record_id if side == "cc" else None,
            record.name,
            side,
            extra=extra,
        )
        target: Side = "cc" if side == "crm" else "crm"
        skips.append(ctx.skip(target, code, who, record.canonical, candidates=candidates))
    return skips


def _off_list(ctx: Context, group: _Group) -> bool:
    """List scope: CC contacts off the synced list are never created or linked in Vtiger.

    An off-list contact who unsubscribed sets Email Opt Out on the Vtiger contacts with its
    email (consent holds whatever the scope). Returns True when nothing is left to plan.
    """
    off = [r for r in group.cc.values() if r.id in ctx.cc_out]
    if not off:
        return False
    if ctx.mapping.has_consent and any(unsubscribed(r) and not r.deleted for r in off):
        for crm in group.crm.values():
            if crm.canonical.get(EMAILOPTOUT, "0") != "1" and not crm.deleted:
                who = Target(crm.id, None, crm.name, "cc", reason=reasons.CC_UNSUBSCRIBED_OFF_LIST)
                ctx.write_crm({EMAILOPTOUT: "1"}, crm.canonical, who)
    for record in off:
        del group.cc[record.id]
        group.interest.discard(("cc", record.id))
    return not any(side == "crm" for side, _ in group.interest)


def _plan_group(ctx: Context, group: _Group) -> None:
    crm = next(iter(group.crm.values()), None)
    alive = [r for r in group.cc.values() if not r.deleted]
    pool = alive or list(group.cc.values())
    cc = pool[0] if pool else None
    if crm is not None and cc is not None:
        _match(ctx, crm, cc, ("crm", crm.id) in group.interest)
    elif crm is not None and ("crm", crm.id) in group.interest:
        if not ctx.may_push(crm):
            ctx.plan.report.before_cutoff.append(crm.id)
        elif ctx.s.to_cc:
            create_cc_from_crm(ctx, crm)
        else:
            ctx.skip(
                "cc",
                reasons.DIRECTION_FILTERED,
                Target(crm.id, None, crm.name, "crm"),
                crm.canonical,
            )
    elif cc is not None and ("cc", cc.id) in group.interest and not cc.deleted:
        _create_crm(ctx, cc)


def _create_crm(ctx: Context, cc: SideRecord) -> None:
    if not ctx.may_push(cc):
        ctx.plan.report.before_cutoff.append(cc.id)
    elif ctx.s.to_crm:
        create_crm_from_cc(ctx, cc)
    else:
        ctx.skip(
            "crm", reasons.DIRECTION_FILTERED, Target(None, cc.id, cc.name, "cc"), cc.canonical
        )


def _deleted_after_failed_write(ctx: Context, crm: SideRecord) -> bool:
    """A retried write to a CC contact that was live then (not a revival) finds it deleted,
    and the Vtiger contact did not change since the failure: the person's delete is the newer
    change and stands (sync rule D7)."""
    failed = ctx.inp.crm_retries.get(crm.id)
    return failed is not None and failed[0] != "revive" and crm.updated_at <= failed[1]


def _deleted_after_its_change(crm: SideRecord, cc: SideRecord) -> bool:
    """A person deleted the CC contact no earlier than the Vtiger contact's last change: the
    delete is the newer change and stands (sync rules D4, D7; Vtiger's times have whole
    seconds, so a tie goes to the delete)."""
    return crm.updated_at <= cc.updated_at


def _match(ctx: Context, crm: SideRecord, cc: SideRecord, interesting: bool) -> None:
    report = ctx.plan.report
    if cc.deleted:
        report.cc_deleted_twins.append((crm.id, cc.id))
        if not interesting:
            return  # sync rule D4 revives for a new or changed CRM contact, not an idle one
        if not ctx.may_push(crm):
            report.before_cutoff.append(crm.id)
        elif _deleted_after_failed_write(ctx, crm) or _deleted_after_its_change(crm, cc):
            who = Target(crm.id, cc.id, crm.name, "crm")
            ctx.skip("cc", reasons.CC_TWIN_DELETED, who, crm.canonical)
        elif ctx.s.to_cc:
            revive(ctx, crm, cc.id, cc.consent.permission if cc.consent else None)
        return
    report.matched.append((crm.id, cc.id))
    if unsubscribed(cc):
        report.cc_unsubscribed_twins.append((crm.id, cc.id))
    who = Target(
        crm.id, cc.id, crm.name, "crm", note="first match", snapshots=(crm.canonical, cc.canonical)
    )
    ctx.bookkeep("link", "crm", who)
    plan_pair(ctx, LinkState(crm.id, cc.id, None, None), crm, cc)
