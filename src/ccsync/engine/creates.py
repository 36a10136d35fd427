"""Records that appear on one side only: creates, and revivals of deleted CC contacts.

Sync rule C5: a CRM contact with Email Opt Out = 1 and no CC twin is never imported; it is skipped
(``crm_opted_out_not_in_cc``) unless "create as unsubscribed" is on (one ``POST`` each).
Sync rule D4: a deleted CC twin is revived with a ``PUT`` (never ``POST``, never an import row);
a revived contact that was unsubscribed stays unsubscribed.
"""

from __future__ import annotations

from ccsync.domain.contact import EMAILOPTOUT, UNSUBSCRIBED, Canonical
from ccsync.engine import reasons
from ccsync.engine.context import Context, Target, optout_of, unsubscribed
from ccsync.engine.plan_types import SideRecord


def _for_cc(ctx: Context, crm: Canonical) -> Canonical:
    return {f: crm.get(f, "") for f in ctx.mapping.fields if f in ctx.mapping.to_cc_fields}


def create_cc_from_crm(ctx: Context, crm: SideRecord) -> None:
    """Plan a CC create for an unlinked CRM contact with no CC twin in any status."""
    who = Target(crm.id, None, crm.name, "crm", snapshots=(crm.canonical, None))
    optout = optout_of(crm.canonical)
    consent = None
    if optout == "1":
        if not ctx.s.create_unsubscribed:
            ctx.skip("cc", reasons.CRM_OPTED_OUT_NOT_IN_CC, who, crm.canonical)
            return
        consent = UNSUBSCRIBED
    ctx.write_cc(
        "create", _for_cc(ctx, crm.canonical), None, who, consent=consent, crm_optout=optout
    )


def revive(
    ctx: Context, crm: SideRecord, cc_id: str, permission: str | None, note: str = "revived"
) -> None:
    """Plan the revival of a deleted CC contact with ``crm``'s values (sync rule D4).

    Args:
        ctx: the planner context.
        crm: the CRM record whose values the revived contact takes.
        cc_id: the deleted CC contact.
        permission: its current permission; an opted-out CRM contact unsubscribes it, an
            unsubscribed one stays unsubscribed (the PUT copies the fresh permission).
        note: the log label.
    """
    who = Target(crm.id, cc_id, crm.name, "crm", snapshots=(crm.canonical, None), note=note)
    wants_out = optout_of(crm.canonical) == "1" and permission != UNSUBSCRIBED
    ctx.write_cc(
        "revive",
        _for_cc(ctx, crm.canonical),
        None,
        who,
        consent=UNSUBSCRIBED if wants_out else None,
    )


def create_crm_from_cc(ctx: Context, cc: SideRecord, note: str = "") -> None:
    """Plan a Vtiger create for a CC contact (unlinked, or revived after a tombstone)."""
    mapping = ctx.mapping
    values = {f: cc.canonical.get(f, "") for f in mapping.fields if f in mapping.to_crm_fields}
    if mapping.has_consent:
        values[EMAILOPTOUT] = "1" if unsubscribed(cc) else "0"
    who = Target(None, cc.id, cc.name, "cc", snapshots=(None, cc.canonical), note=note)
    if ctx.write_crm(values, None, who) is None:
        last = ctx.plan.crm[-1] if ctx.plan.crm else None
        if last is not None and last.reason == reasons.NO_LAST_NAME and last.cc_id == cc.id:
            ctx.plan.report.no_last_name.append(cc.id)
