"""Consent beyond one run (issue 9 item 4; sync rule C6): a pass over the finished plan.

No path may leave a person subscribed in Constant Contact while any Vtiger contact with that
email is opted out. ``Context.write_cc`` already unsubscribes (or skips, for a create) every CC
write whose email is opted out in the CRM; this pass adds an unsubscribe for CC contacts the run
saw, or linked contacts whose email a Vtiger contact opted out of in this run, that no write of
the plan touches — duplicates, email changes onto an opted-out address, list scope.
A CC contact that re-subscribed itself in this run (sync rule C4) is left alone, and the older
opt-outs of the other Vtiger contacts with its email are cleared; a Vtiger opt-out at least as new
as the re-subscription wins (sync rule C6).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ccsync.domain.contact import EMAIL, EMAILOPTOUT, SUBSCRIBED_STATES, UNSUBSCRIBED, Canonical
from ccsync.engine import reasons
from ccsync.engine.context import Context, Target, optout_of, unsubscribed
from ccsync.engine.plan_types import Action, LinkState, SideRecord


def _address(values: Canonical | None) -> str:
    return (values or {}).get(EMAIL, "").strip().casefold()


def enforce_consent(ctx: Context, live: Sequence[LinkState]) -> None:
    """Unsubscribe in CC every contact the run knows of whose email a CRM contact opted out of
    (``live``: the pairs that outlive this run; a deleted CC contact is never written)."""
    optouts = ctx.optouts
    if not optouts or not ctx.mapping.has_consent:
        return
    inp = ctx.inp
    writes = {a.cc_id: a for a in ctx.plan.cc if a.is_write and a.cc_id}
    resubscribed = {a.cc_id for a in ctx.plan.crm if a.cc_id and a.values.get(EMAILOPTOUT) == "0"}
    done: set[str] = set()
    links = {link.cc_id: link for link in live}
    kept, vetoed = _clear_older_optouts(ctx, links)
    for cc_id in kept:
        resubscribed.add(cc_id)
        write = writes.get(cc_id)
        if write is not None and write.reason == reasons.CRM_TWIN_OPTED_OUT:
            write.consent = None  # the PUT carries the permission read (sync rule C5)
    if vetoed:
        resubscribed -= vetoed
        _keep_crm_optout(ctx, vetoed)
    for record in _cc_seen(inp.cc_changes, inp.cc_twins).values():
        if record.deleted or unsubscribed(record) or record.id in done:
            continue
        if record.id in resubscribed or _address(record.canonical) not in optouts:
            continue
        done.add(record.id)
        _unsubscribe(ctx, writes.get(record.id), links.get(record.id), record.id, record)
    fresh = {
        _address(r.canonical)
        for r in (*inp.crm_changes, *inp.crm_twins)
        if not r.deleted and optout_of(r.canonical) == "1"
    }
    fresh.discard("")
    if not fresh:
        return
    for link in live:
        if link.cc_id in done or link.cc_permission == UNSUBSCRIBED:
            continue
        if link.cc_id in resubscribed or _address(link.cc_snapshot) not in fresh:
            continue
        known = ctx.cc_record(link.cc_id)
        if link.cc_id in ctx.cc_deleted or (known is not None and known.deleted):
            continue  # a PUT would revive a contact a person deleted
        done.add(link.cc_id)
        _unsubscribe(ctx, writes.get(link.cc_id), link, link.cc_id, known)


def _clear_older_optouts(ctx: Context, links: dict[str, LinkState]) -> tuple[set[str], set[str]]:
    """Sync rule C4 beyond the pair: a linked CC contact that re-subscribed itself in this run
    clears Email Opt Out on the other Vtiger contacts with its email (the runner read them), when
    each opt-out is older than the re-subscription. Returns the CC contacts that keep their
    subscription, and those a Vtiger opt-out at least as new vetoes (sync rule C6)."""
    kept: set[str] = set()
    vetoed: set[str] = set()
    crm_pool = _cc_seen(ctx.inp.crm_changes, ctx.inp.crm_twins).values()
    for record in ctx.inp.cc_changes:
        link = links.get(record.id)
        permission = record.consent.permission if record.consent else None
        if link is None or link.cc_permission != UNSUBSCRIBED or record.deleted:
            continue
        if permission not in SUBSCRIBED_STATES:
            continue
        address = _address(record.canonical)
        holders = [
            r
            for r in crm_pool
            if r.id != link.crm_id and not r.deleted and _address(r.canonical) == address
            and r.canonical.get(EMAILOPTOUT, "0") == "1"
        ]  # fmt: skip
        since = record.updated_at.replace(microsecond=0)  # Vtiger keeps whole seconds
        if any(r.updated_at >= since for r in holders):
            vetoed.add(record.id)  # an opt-out as new as the re-subscription stands (C6)
            continue
        kept.add(record.id)
        for crm in holders:
            who = Target(crm.id, None, crm.name, "cc", reason=reasons.CC_RESUBSCRIBED)
            ctx.write_crm({EMAILOPTOUT: "0"}, crm.canonical, who)
    return kept, vetoed


def _keep_crm_optout(ctx: Context, vetoed: set[str]) -> None:
    """The pair's own sync rule C4 write (Email Opt Out 1 → 0) is withdrawn for a vetoed
    re-subscription: the person is unsubscribed again, so the flag stays."""
    for action in list(ctx.plan.crm):
        if action.cc_id not in vetoed or action.values.get(EMAILOPTOUT) != "0":
            continue
        action.values = {k: v for k, v in action.values.items() if k != EMAILOPTOUT}
        action.diff.pop(EMAILOPTOUT, None)
        if not action.values:
            ctx.plan.crm.remove(action)


def _cc_seen(*pools: Iterable[SideRecord]) -> dict[str, SideRecord]:
    out: dict[str, SideRecord] = {}
    for pool in pools:
        for record in pool:
            out[record.id] = record
    return out


def _unsubscribe(
    ctx: Context,
    write: Action | None,
    link: LinkState | None,
    cc_id: str,
    record: SideRecord | None,
) -> None:
    if write is not None:
        if write.consent != UNSUBSCRIBED:
            write.consent = UNSUBSCRIBED
            write.import_ok = False
            write.reason = write.reason or reasons.CRM_TWIN_OPTED_OUT
        return
    values = record.canonical if record is not None else (link.cc_snapshot if link else None)
    if values is None:
        return
    who = Target(
        link.crm_id if link else None,
        cc_id,
        record.name if record else "",
        "crm",
        reason=reasons.CRM_TWIN_OPTED_OUT,
    )
    ctx.write_cc("update", dict(values), values, who, consent=UNSUBSCRIBED)
