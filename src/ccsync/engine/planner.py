"""The pure planner: what a run will write, skip and link (the sync rules of docs/sync-rules.md).

No I/O and no clock: everything comes in through ``PlanInput`` and ``PlanSettings``.

Example::

    plan = build_plan(PlanInput(crm_changes=[...], cc_changes=[...], links=[...]), settings)
    applied, held = apply_breaker(plan, settings)     # sync rule D8 (engine.breaker)

Runner contract:

* ``link`` actions (first matches, restores) are stored at once with ``snapshots``; a write
  with both ids on an unlinked pair (revive) links the pair once it succeeded; a create links the
  new record to the source id.
* After a write, store the written side's snapshot from the server's answer and the other side's
  from ``Action.snapshots``. Skips never change snapshots. ``resnapshot`` stores both.
* ``tombstone`` with note ``cc deleted`` sets ``LinkState.cc_deleted`` (sync rule D5 needs it).
* Skips carry ``skip_key`` and ``fingerprint``: store them so the next plan counts a skip once
  per change of the record (``Action.new``; sync rule N3).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from ccsync.engine.consent import enforce_consent
from ccsync.engine.context import Context
from ccsync.engine.matching import plan_unlinked
from ccsync.engine.pairs import (
    find_takeovers,
    plan_link,
    plan_pair,
    plan_takeover,
    plan_tombstoned,
)
from ccsync.engine.plan_types import LinkState, Plan, PlanInput, PlanSettings, SideRecord

PREVIEW_LIMIT = 100
SWEEP_EVERY = 2048  # live links planned between two sweeps of the collector's youngest generation


def build_plan(inp: PlanInput, settings: PlanSettings) -> Plan:
    """Plan one run.

    Args:
        inp: the changes, deletions, links and twins the runner read.
        settings: the connector's settings (direction, policies, mapping, first run, cutoff).

    Returns:
        The plan: per-side actions, link bookkeeping, the matching report and
        ``preview_required`` (a first run that would create or overwrite more than 100 records
        on a side stops at its Preview).
    """
    with _collector_paused() as sweep:
        return _build(inp, settings, sweep)


@contextmanager
def _collector_paused() -> Iterator[bool]:
    """Pause the cyclic garbage collector while planning; yields True when it was enabled.

    Planning allocates hundreds of thousands of small acyclic objects; each collector pass
    would walk the whole input again, which alone halves the throughput on 100,000 pairs.
    When the collector was enabled, the planner sweeps the youngest generation itself every
    ``SWEEP_EVERY`` links (``_plan_live``), while the new objects are still in the CPU cache:
    one pass over a million cold objects at the end costs a tenth of an all-changed run.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield was_enabled
    finally:
        if was_enabled:
            gc.enable()


def _build(inp: PlanInput, settings: PlanSettings, sweep: bool = False) -> Plan:
    ctx = Context(inp, settings)
    crm_by_id = {r.id: r for r in inp.crm_changes}
    cc_by_id = {r.id: r for r in inp.cc_changes}
    live = [link for link in inp.links if not link.tombstoned]
    live_crm = {link.crm_id: link for link in live}
    live_cc = {link.cc_id: link for link in live}
    taken = find_takeovers(ctx, live, crm_by_id, live_crm)
    if taken:
        live = [link for link in live if link.crm_id not in taken]
        for old_id, record in taken.items():
            plan_takeover(ctx, live_crm[old_id], record, cc_by_id.get(live_crm[old_id].cc_id))
    for start in range(0, len(live), SWEEP_EVERY):
        _plan_live(ctx, live[start : start + SWEEP_EVERY], crm_by_id, cc_by_id)
        if sweep and gc.get_count()[0] > SWEEP_EVERY:
            gc.collect(0)  # the youngest generation only: never the input (see above)
    handled_crm, handled_cc = _plan_tombstones(
        ctx, inp.links, crm_by_id, cc_by_id, live_crm, live_cc
    )
    handled_crm.update({r.id: r for r in taken.values()})
    crm_new = _unlinked(crm_by_id, inp.crm_all, settings.first_run, live_crm, handled_crm)
    cc_new = _unlinked(cc_by_id, inp.cc_all, settings.first_run, live_cc, handled_cc)
    ended = _ended(ctx.plan)
    holding = [link for link in live if link.crm_id not in ended]
    linked = (
        (
            {i: x for i, x in live_crm.items() if i not in ended},
            {x.cc_id: x for x in holding},
        )
        if ended
        else (live_crm, live_cc)
    )
    plan_unlinked(ctx, crm_new, cc_new, holding, linked)
    enforce_consent(ctx, holding)  # a pair this run ends gets no consent write
    plan = ctx.plan
    plan.preview_required = settings.first_run and _overwrites(plan) > PREVIEW_LIMIT
    return plan


def _ended(plan: Plan) -> set[str]:
    """Vtiger ids of the pairs this run ends: tombstoned or unlinked (out of scope) now, or
    once a planned delete (or unlist) of one side is acknowledged. They hold their email no
    more, and get no consent write (it would link them again)."""
    ended = {a.crm_id for a in plan.links if a.kind in ("tombstone", "unlink") and a.crm_id}
    ended.update(
        a.crm_id for a in (*plan.crm, *plan.cc) if a.kind in ("delete", "unlist") and a.crm_id
    )
    return ended


def _plan_live(
    ctx: Context,
    live: list[LinkState],
    crm_by_id: dict[str, SideRecord],
    cc_by_id: dict[str, SideRecord],
) -> None:
    gone = ctx.crm_deleted | ctx.cc_deleted | ctx.crm_out | ctx.cc_out
    crm_get, cc_get = crm_by_id.get, cc_by_id.get
    for link in live:
        crm, cc = crm_get(link.crm_id), cc_get(link.cc_id)
        if gone and (link.crm_id in gone or link.cc_id in gone):
            plan_link(ctx, link, crm, cc)  # deleted or out of scope
        elif crm is None and cc is None:
            continue
        elif (crm is None or not crm.deleted) and (cc is None or not cc.deleted):
            plan_pair(ctx, link, crm, cc)  # what plan_link does for a pair alive on both sides
        else:
            plan_link(ctx, link, crm, cc)


def _plan_tombstones(
    ctx: Context,
    links: Iterable[LinkState],
    crm_by_id: dict[str, SideRecord],
    cc_by_id: dict[str, SideRecord],
    live_crm: dict[str, LinkState],
    live_cc: dict[str, LinkState],
) -> tuple[dict[str, SideRecord], set[str]]:
    """Plan tombstoned links whose records came back; returns CRM records left to match."""
    leftover: dict[str, SideRecord] = {}
    done_crm: set[str] = set()
    done_cc: set[str] = set()
    for link in links:
        if not link.tombstoned:
            continue
        crm = None if link.crm_id in live_crm else crm_by_id.get(link.crm_id)
        cc = None if link.cc_id in live_cc else cc_by_id.get(link.cc_id)
        if (crm is None or link.crm_id in done_crm) and (cc is None or link.cc_id in done_cc):
            continue
        if link.cc_id in live_cc:
            rest = crm  # its CC contact is linked elsewhere now: never a second link
        elif _held_in_crm(ctx, crm, cc):
            continue  # other Vtiger contacts have its address: matched with them as unlinked
        else:
            rest = plan_tombstoned(ctx, link, crm, cc)
        done_crm.add(link.crm_id)
        done_cc.add(link.cc_id)
        if rest is not None:
            leftover[rest.id] = rest
    handled = {i: crm_by_id[i] for i in done_crm if i in crm_by_id and i not in leftover}
    return handled, done_cc


def _held_in_crm(ctx: Context, crm: SideRecord | None, cc: SideRecord | None) -> bool:
    """A CC contact back after its pair's Vtiger contact was deleted, whose address other
    Vtiger contacts have: no new Vtiger record (sync rule D5) but a match with those."""
    if cc is None or cc.deleted or (crm is not None and not crm.deleted):
        return False
    return bool(ctx.crm_holders(cc.canonical))


def _unlinked(
    changes: dict[str, SideRecord],
    listing: Iterable[SideRecord],
    first_run: bool,
    linked: dict[str, LinkState],
    handled: dict[str, SideRecord] | set[str],
) -> list[SideRecord]:
    if first_run:
        records = {r.id: r for r in listing}
        records.update(changes)
    elif changes.keys() <= linked.keys():
        return []  # a check at C speed: on a busy run every change belongs to a live link
    else:
        records = changes
    return [r for i, r in records.items() if i not in linked and i not in handled]


def _overwrites(plan: Plan) -> int:
    counts = [
        sum(1 for a in plan.side(s) if a.kind in ("create", "update", "revive"))
        for s in ("crm", "cc")
    ]
    return max(counts)
