"""Planning of linked pairs: echo suppression, merge, consent, deletion and tombstones.

Sync rules handled here (docs/sync-rules.md): C1–C4 and C7 (every direction), I7 (an email
change is a field change of the pair), I6 (take-over), D1–D3 (delete policies and tombstones),
D4–D6 (revive, CC revival of a tombstoned pair, Recycle-Bin restore, change wins over delete
unless "delete wins").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from ccsync.connectors.base import Side
from ccsync.domain.contact import EMAIL, EMAILOPTOUT, UNSUBSCRIBED, Canonical, display_name
from ccsync.engine import reasons
from ccsync.engine.context import EPOCH, Context, Target, unsubscribed
from ccsync.engine.creates import create_crm_from_cc, revive
from ccsync.engine.merge import (
    NO_STEP,
    ConsentStep,
    Merge,
    consent_step,
    first_pairing,
    three_way,
    winner,
)
from ccsync.engine.plan_types import Action, ActionKind, LinkState, SideRecord

_EMPTY: Canonical = {}


def _cc_changed(link: LinkState, cc: SideRecord | None) -> bool:
    if cc is None:
        return False
    permission = cc.consent.permission if cc.consent else link.cc_permission
    return cc.canonical != link.cc_snapshot or permission != link.cc_permission


def plan_link(ctx: Context, link: LinkState, crm: SideRecord | None, cc: SideRecord | None) -> None:
    """Plan one live link whose records changed, were deleted or left the scope."""
    if link.cc_id in ctx.cc_out and _unsubscribed_off_list(ctx, link, crm, cc):
        # list scope: CC drops the list memberships of a contact who unsubscribes. The
        # unsubscribe still reaches Vtiger (sync rule C1) and the pair stays linked, so C3 keeps
        # Email Opt Out at 1 while CC says unsubscribed.
        plan_pair(ctx, link, crm, cc)
        return
    cc_left = link.cc_id in ctx.cc_out and not (cc is not None and cc.deleted)
    if link.crm_id in ctx.crm_out or cc_left:
        # a deleted CC contact has no list memberships left: that is a delete, not leaving
        side: Side = "crm" if link.crm_id in ctx.crm_out else "cc"
        who = Target(link.crm_id, link.cc_id, reason=reasons.OUT_OF_SCOPE, source=side)
        ctx.bookkeep("unlink", side, who)
        return
    crm_gone = link.crm_id in ctx.crm_deleted or (crm is not None and crm.deleted)
    cc_gone = link.cc_id in ctx.cc_deleted or (cc is not None and cc.deleted)
    if crm_gone or cc_gone:
        _plan_deleted(ctx, link, crm, cc, crm_gone, cc_gone)
    else:
        plan_pair(ctx, link, crm, cc)


def _unsubscribed_off_list(
    ctx: Context, link: LinkState, crm: SideRecord | None, cc: SideRecord | None
) -> bool:
    if cc is None or cc.deleted or not unsubscribed(cc) or link.crm_id in ctx.crm_out:
        return False
    return link.crm_id not in ctx.crm_deleted and not (crm is not None and crm.deleted)


def plan_pair(ctx: Context, link: LinkState, crm: SideRecord | None, cc: SideRecord | None) -> None:
    """Merge one live pair (echo → nothing; first pairing when a snapshot is missing)."""
    crm_moved = crm is not None and crm.canonical != link.crm_snapshot
    if not crm_moved and not _cc_changed(link, cc):
        return  # an echo of our own write, or a change in unmapped fields
    crm_now = crm.canonical if crm else (link.crm_snapshot or _EMPTY)
    cc_now = cc.canonical if cc else (link.cc_snapshot or _EMPTY)
    first = link.crm_snapshot is None or link.cc_snapshot is None
    merge = _merge(ctx, link, crm, cc, crm_now, cc_now, first)
    permission = cc.consent.permission if cc and cc.consent else link.cc_permission
    optout = crm_now.get(EMAILOPTOUT, "0")  # optout_of, inlined on this hot path
    step = NO_STEP
    if ctx.mapping.has_consent:
        crm_old = None if first else (link.crm_snapshot or _EMPTY).get(EMAILOPTOUT, "0")
        perm_old = None if first else link.cc_permission
        step = consent_step(crm_old, optout, perm_old, permission)
    name = crm.name if crm else (cc.name if cc else "")
    source: Side = "crm" if crm_moved else "cc"
    who = Target(link.crm_id, link.cc_id, name, source, merge.conflicts, (crm_now, cc_now))
    wrote = _apply(ctx, merge, step, who, crm_now, cc_now, (optout, permission == UNSUBSCRIBED))
    if not wrote and not first:
        ctx.bookkeep("resnapshot", source, who)


def _merge(
    ctx: Context,
    link: LinkState,
    crm: SideRecord | None,
    cc: SideRecord | None,
    crm_now: Canonical,
    cc_now: Canonical,
    first: bool,
) -> Merge:
    crm_at = crm.updated_at if crm else EPOCH
    side = winner(ctx.s.conflict_policy, crm_at, cc.updated_at if cc else EPOCH)
    if first:
        may_crm, may_cc = ctx.may_push(crm), ctx.may_push(cc)
        return first_pairing(
            ctx.mapping, crm_now, cc_now, side, crm_may_push=may_crm, cc_may_push=may_cc
        )
    crm_base, cc_base = link.crm_snapshot or _EMPTY, link.cc_snapshot or _EMPTY
    return three_way(ctx.mapping, crm_now, cc_now, crm_base, cc_base, side)


def _apply(
    ctx: Context,
    merge: Merge,
    step: ConsentStep,
    who: Target,
    crm_now: Canonical,
    cc_now: Canonical,
    consent: tuple[str, bool],
) -> bool:
    """Add the writes of one merged pair; False when the pair had nothing to write.

    ``consent`` is (Vtiger's Email Opt Out now, True when CC says unsubscribed).
    """
    to_crm, to_cc = merge.to_crm, merge.to_cc
    if to_crm and not ctx.to_crm:
        ctx.skip("crm", reasons.DIRECTION_FILTERED, who, to_crm)
        to_crm = {}
    if to_cc and not ctx.to_cc:
        ctx.skip("cc", reasons.DIRECTION_FILTERED, who, to_cc)
        to_cc = {}
    if step.crm_flag is not None:
        to_crm = {**to_crm, EMAILOPTOUT: step.crm_flag}
    if to_crm:
        crm_who = replace(who, reason=step.reason) if step.crm_flag is not None else who
        ctx.write_crm(to_crm, crm_now, crm_who)  # it writes a copy: the merge is not kept
    if to_cc or step.cc_permission:
        full = {**cc_now, **to_cc}
        ctx.write_cc(
            "update",
            full,
            cc_now,
            who,
            consent=step.cc_permission,
            crm_optout=consent[0],
            cc_unsubscribed=consent[1],
            changes=to_cc,
        )
    return bool(merge.to_crm or merge.to_cc or step.crm_flag is not None or step.cc_permission)


def _tombstone(ctx: Context, link: LinkState, *, cc_deleted: bool, source: Side) -> None:
    # The note tells the runner to store LinkState.cc_deleted, which sync rule D5 needs later.
    who = Target(link.crm_id, link.cc_id, note="cc deleted" if cc_deleted else "", source=source)
    ctx.bookkeep("tombstone", source, who)


def _plan_deleted(
    ctx: Context,
    link: LinkState,
    crm: SideRecord | None,
    cc: SideRecord | None,
    crm_gone: bool,
    cc_gone: bool,
) -> None:
    if crm_gone and cc_gone:
        _tombstone(ctx, link, cc_deleted=True, source="crm")
    elif crm_gone:
        _crm_deleted(ctx, link, cc)
    else:
        _cc_deleted(ctx, link, crm)


def _known_name(link: LinkState, record: SideRecord | None) -> str:
    """The pair's name for the log: the live record's, else the last-synced snapshot's (the
    side that still has the record is often not read in the run that sees the delete)."""
    if record is not None and record.name:
        return record.name
    for snapshot in (link.crm_snapshot, link.cc_snapshot):
        if snapshot and display_name(snapshot):
            return display_name(snapshot)
    return ""


def _crm_deleted(ctx: Context, link: LinkState, cc: SideRecord | None) -> None:
    s = ctx.s
    name = _known_name(link, cc)
    if cc is not None and _cc_changed(link, cc) and not s.delete_wins and s.to_crm:
        # sync rule D6 → D5: the change wins. Tombstoned as "CC alive after a delete", so a create
        # that fails is planned again as a revival when its retry reads the CC contact.
        _tombstone(ctx, link, cc_deleted=True, source="crm")
        if not ctx.crm_holders(cc.canonical):
            create_crm_from_cc(ctx, cc, note="revived")
        # else Vtiger has the address under other contacts: they meet the CC contact as
        # unlinked records (more than one: ambiguous; one alone took the pair over)
        return
    who = Target(link.crm_id, link.cc_id, name, "crm", snapshots=(link.crm_snapshot, None))
    if not s.to_cc:
        _tombstone(ctx, link, cc_deleted=False, source="crm")
        ctx.skip("cc", reasons.DIRECTION_FILTERED, who, link.crm_snapshot or _EMPTY)
    elif s.crm_delete_policy == "ignore":
        _tombstone(ctx, link, cc_deleted=False, source="crm")
        ctx.skip("cc", reasons.DELETE_IGNORED, who, link.crm_snapshot or _EMPTY)
    else:
        # the pair is tombstoned once the remote delete (or unlist) is acknowledged
        kind: ActionKind = "delete" if s.crm_delete_policy == "mirror" else "unlist"
        ctx.plan.add(Action(kind, "cc", link.crm_id, link.cc_id, source="crm", name=name))


def _cc_deleted(ctx: Context, link: LinkState, crm: SideRecord | None) -> None:
    s = ctx.s
    if _changed_after_delete(ctx, link, crm) and not s.delete_wins and s.to_cc:
        assert crm is not None
        revive(ctx, crm, link.cc_id, link.cc_permission)  # sync rule D6 → D4: the change wins
        return
    who = Target(link.crm_id, link.cc_id, _known_name(link, crm), "cc")
    if not s.to_crm or s.cc_delete_policy == "ignore":
        _tombstone(ctx, link, cc_deleted=True, source="cc")
        code = reasons.DIRECTION_FILTERED if not s.to_crm else reasons.DELETE_IGNORED
        ctx.skip("crm", code, who, link.cc_snapshot or _EMPTY)
    else:
        # the pair is tombstoned once Vtiger acknowledged the delete
        ctx.plan.add(Action("delete", "crm", link.crm_id, link.cc_id, source="cc", name=who.name))


def _changed_after_delete(ctx: Context, link: LinkState, crm: SideRecord | None) -> bool:
    """Whether the Vtiger contact changed since the pair was synced, after the CC contact was
    deleted (when the read says when). Vtiger times are whole seconds: a change in the same
    second as the delete is not known to be newer, and the delete stands."""
    if crm is None or crm.canonical == link.crm_snapshot:
        return False
    gone = ctx.cc_record(link.cc_id)
    return gone is None or not gone.deleted or crm.updated_at > gone.updated_at


def plan_tombstoned(
    ctx: Context, link: LinkState, crm: SideRecord | None, cc: SideRecord | None
) -> SideRecord | None:
    """Plan a tombstoned pair whose records came back; returns a CRM record left unpaired.

    A Vtiger record restored from the Recycle Bin (same id, newer change) is re-linked when its
    CC contact is alive, else that contact is revived (sync rule D4); a CC contact revived after a
    mirrored delete gets a new Vtiger record (sync rule D5). Other changes on a tombstoned pair do
    not bring it back (``tombstoned``).
    """
    if crm is not None and not crm.deleted:
        twin = cc or ctx.cc_record(link.cc_id)
        if twin is not None and not twin.deleted:
            who = Target(
                link.crm_id,
                link.cc_id,
                crm.name,
                "crm",
                note="restored",
                snapshots=(crm.canonical, twin.canonical),
            )
            ctx.bookkeep("link", "crm", who)
            plan_pair(ctx, replace(link, crm_snapshot=None, cc_snapshot=None), crm, twin)
        elif twin is not None or link.cc_deleted:
            revive(ctx, crm, link.cc_id, link.cc_permission, note="restored")
        else:
            return crm  # nothing known of the CC side: match it like a new contact
        return None
    if cc is not None and not cc.deleted:
        if link.cc_deleted and ctx.s.to_crm:
            create_crm_from_cc(ctx, cc, note="revived")
        else:
            code = reasons.DIRECTION_FILTERED if link.cc_deleted else reasons.TOMBSTONED
            who = Target(link.crm_id, link.cc_id, cc.name, "cc")
            ctx.skip("crm", code, who, cc.canonical)
    return None


# -- delete and re-create (issue 9 item 5; sync rule I6) ---------


def _address(snapshot: Canonical | None) -> str:
    return (snapshot or _EMPTY).get(EMAIL, "").strip().casefold()


def find_takeovers(
    ctx: Context,
    live: Sequence[LinkState],
    crm_by_id: Mapping[str, SideRecord],
    linked: Mapping[str, LinkState],
) -> dict[str, SideRecord]:
    """Live links whose Vtiger contact was deleted while a new one with its email appeared.

    Returns the old CRM id → the new CRM record that takes the pair's CC contact over (only
    when exactly one new, unlinked Vtiger contact holds the pair's email or the CC contact's
    current one).
    """
    gone = {i for i in ctx.crm_deleted if i in linked}
    gone.update(i for i, r in crm_by_id.items() if r.deleted and i in linked)
    if not gone:  # any direction: re-linking the new record never duplicates the person
        return {}
    fresh: dict[str, list[SideRecord]] = {}
    for record in crm_by_id.values():
        if record.id not in linked and not record.deleted:
            fresh.setdefault(_address(record.canonical), []).append(record)
    out: dict[str, SideRecord] = {}
    for link in live:
        if link.crm_id not in gone or link.cc_id in ctx.cc_deleted:
            continue
        now = ctx.cc_record(link.cc_id)
        if now is not None and now.deleted:
            continue  # both sides deleted: the pair is tombstoned, the new record is new
        # the pair's address, or the CC contact's new one when it changed meanwhile
        addresses = {_address(link.crm_snapshot) or _address(link.cc_snapshot)}
        addresses.add(_address(now.canonical) if now is not None else "")
        candidates = {r.id: r for a in addresses - {""} for r in fresh.get(a, [])}
        if len(candidates) == 1:
            out[link.crm_id] = next(iter(candidates.values()))
    return out


def plan_takeover(ctx: Context, link: LinkState, new: SideRecord, cc: SideRecord | None) -> None:
    """A Vtiger contact deleted and re-created with the same email: the new one takes over.

    The pair is re-linked at once to the new record (its base is the deleted record's last
    snapshot, so a failed or interrupted write is planned again), the CC contact is updated
    with what differs, and nothing is deleted. Logged with the note "took over".
    """
    who = Target(
        new.id,
        link.cc_id,
        new.name,
        "crm",
        note=TOOK_OVER,
        snapshots=(link.crm_snapshot, link.cc_snapshot),
    )
    ctx.bookkeep("link", "crm", who)
    moved = replace(link, crm_id=new.id)
    before = len(ctx.plan.cc), len(ctx.plan.crm)
    plan_pair(ctx, moved, new, cc)
    for action in (*ctx.plan.cc[before[0] :], *ctx.plan.crm[before[1] :]):
        action.note = action.note or TOOK_OVER


TOOK_OVER = "took over"
