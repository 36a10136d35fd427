"""Field merge of one pair and the consent rules (sync rules M3, M4, C1–C4).

Three-way merge (sync rule M3): against each side's last snapshot, a field changed on one side
only is copied to the other; changed on both sides to different values, the conflict policy
decides.
First pairing (no snapshot): an empty side takes the other's value; both non-empty and
different → the conflict policy; the email is never rewritten by a first match.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ccsync.connectors.base import Side
from ccsync.domain.choices import ConflictPolicy
from ccsync.domain.contact import EMAIL, SUBSCRIBED_STATES, UNSUBSCRIBED
from ccsync.domain.normalize import phones_equal
from ccsync.engine.mapping_rows import FieldMapping
from ccsync.engine.plan_types import Conflict

_EMPTY: Mapping[str, str] = {}


@dataclass(slots=True)
class Merge:
    """The outcome of merging one pair: values to write per side and the conflicts."""

    to_crm: dict[str, str] = field(default_factory=dict)
    to_cc: dict[str, str] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)


def winner(policy: ConflictPolicy, crm_at: datetime, cc_at: datetime) -> Side:
    """The side whose value wins a conflict (newest: record-level UTC instants, ties → CRM)."""
    if policy == "newest":
        return "cc" if cc_at > crm_at else "crm"
    return policy


def _field_winner(mapping: FieldMapping, name: str, side: Side) -> Side:
    # A one-way field can only ever take its source side's value.
    if name not in mapping.to_crm_fields:
        return "crm"
    if name not in mapping.to_cc_fields:
        return "cc"
    return side


def _settle(out: Merge, mapping: FieldMapping, name: str, value: str, crm: str, cc: str) -> None:
    # ``mapping.equal`` inlined: this runs for every moved field of every changed pair.
    phone = name in mapping.phone_fields
    if name in mapping.to_cc_fields and value != cc and not (phone and phones_equal(value, cc)):
        out.to_cc[name] = value
    if name in mapping.to_crm_fields and value != crm and not (phone and phones_equal(value, crm)):
        out.to_crm[name] = value


def _resolve(out: Merge, mapping: FieldMapping, name: str, crm: str, cc: str, side: Side) -> str:
    won = _field_winner(mapping, name, side)
    out.conflicts.append(Conflict(name, crm, cc, won))
    return crm if won == "crm" else cc


def three_way(
    mapping: FieldMapping,
    crm: Mapping[str, str],
    cc: Mapping[str, str],
    crm_base: Mapping[str, str],
    cc_base: Mapping[str, str],
    side: Side,
) -> Merge:
    """Merge a linked pair against its snapshots.

    Args:
        mapping: the field mapping (directions, phone comparison).
        crm / cc: the current canonical forms (the snapshot when a side did not change).
        crm_base / cc_base: the snapshots stored on the link.
        side: the side that wins a field changed on both sides.
    """
    out = Merge({}, {}, [])  # positional: the factories cost more than the three objects
    if cc is cc_base:  # only the CRM record changed (the usual case): no conflict possible
        moved = _differing(mapping, crm, crm_base)
        _one_sided(mapping, moved, crm, crm_base, cc, out.to_cc, mapping.to_cc_fields)
        return out
    if crm is crm_base:
        moved = _differing(mapping, cc, cc_base)
        _one_sided(mapping, moved, cc, cc_base, crm, out.to_crm, mapping.to_crm_fields)
        return out
    phones = mapping.phone_fields
    for name in _moved_fields(mapping, crm, crm_base, cc, cc_base):
        now_crm, now_cc = crm.get(name, ""), cc.get(name, "")
        was_crm, was_cc = crm_base.get(name, ""), cc_base.get(name, "")
        crm_moved = now_crm != was_crm and not (name in phones and phones_equal(now_crm, was_crm))
        cc_moved = now_cc != was_cc and not (name in phones and phones_equal(now_cc, was_cc))
        if crm_moved and cc_moved and not mapping.equal(name, now_crm, now_cc):
            chosen = _resolve(out, mapping, name, now_crm, now_cc, side)
        elif crm_moved or cc_moved:
            chosen = now_crm if crm_moved else now_cc
        else:
            continue
        _settle(out, mapping, name, chosen, now_crm, now_cc)
    return out


def _one_sided(
    mapping: FieldMapping,
    names: list[str],
    now: Mapping[str, str],
    was: Mapping[str, str],
    other: Mapping[str, str],
    into: dict[str, str],
    allowed: frozenset[str],
) -> None:
    """``three_way`` when one side did not change: its moved fields go to the other side."""
    phones = mapping.phone_fields
    for name in names:
        value, there = now.get(name, ""), other.get(name, "")
        if name not in allowed or value == there:
            continue
        phone = name in phones  # ``mapping.equal`` inlined, and a reformatted number is no edit
        if phone and (phones_equal(value, was.get(name, "")) or phones_equal(value, there)):
            continue
        into[name] = value


def _moved_fields(
    mapping: FieldMapping,
    crm: Mapping[str, str],
    crm_base: Mapping[str, str],
    cc: Mapping[str, str],
    cc_base: Mapping[str, str],
) -> list[str]:
    """Mapped fields whose text differs from the snapshot on either side, in mapping order."""
    if cc is cc_base:
        return _differing(mapping, crm, crm_base)
    if crm is crm_base:
        return _differing(mapping, cc, cc_base)
    fields = mapping.fields
    if len(mapping.order) == len(fields):  # no repeated field: one pass gives the union
        try:
            return [f for f in fields if crm[f] != crm_base[f] or cc[f] != cc_base[f]]
        except KeyError:
            pass  # a snapshot taken before a field was mapped: compare with ``get``
    names = _differing(mapping, crm, crm_base)
    moved = _differing(mapping, cc, cc_base)
    if not names or not moved:
        return names or moved
    return sorted(set(names).union(moved), key=mapping.order.__getitem__)


def _differing(mapping: FieldMapping, now: Mapping[str, str], was: Mapping[str, str]) -> list[str]:
    if now is was:
        return []
    fields = mapping.fields
    try:  # canonical forms hold every mapped field: plain subscripts are the fast path
        return [f for f in fields if now[f] != was[f]]
    except KeyError:  # a snapshot taken before a field was mapped
        get_now, get_was = now.get, was.get
        return [f for f in fields if get_now(f, "") != get_was(f, "")]


def first_pairing(
    mapping: FieldMapping,
    crm: Mapping[str, str],
    cc: Mapping[str, str],
    side: Side,
    *,
    crm_may_push: bool = True,
    cc_may_push: bool = True,
) -> Merge:
    """Merge two records paired for the first time (no snapshot).

    Args:
        mapping: the field mapping.
        crm / cc: the two canonical forms.
        side: the side that wins where both are non-empty and differ.
        crm_may_push / cc_may_push: False when a side's record is older than the first-run
            cutoff ("Sync Records From"), so its values are not propagated.
    """
    out = Merge()
    for name in mapping.fields:
        now_crm, now_cc = crm.get(name, ""), cc.get(name, "")
        if name == EMAIL or mapping.equal(name, now_crm, now_cc):
            continue
        if not now_crm or not now_cc:
            chosen = now_crm or now_cc
        else:
            chosen = _resolve(out, mapping, name, now_crm, now_cc, side)
        if chosen == now_crm and not crm_may_push or chosen == now_cc and not cc_may_push:
            continue
        _settle(out, mapping, name, chosen, now_crm, now_cc)
    return out


@dataclass(frozen=True, slots=True)
class ConsentStep:
    """What the consent rules ask for on one pair.

    Attributes:
        crm_flag: ``"1"``/``"0"`` to write to Vtiger's Email Opt Out, or None.
        cc_permission: ``unsubscribed`` to PUT in CC, or None.
        reason: ``optout_sticky`` when Vtiger's 1→0 is reverted, else ``""``.
        rule: n when sync rule Cn applied (1 to 4; 0 = none).
    """

    crm_flag: str | None = None
    cc_permission: str | None = None
    reason: str = ""
    rule: int = 0


NO_STEP = ConsentStep()


def consent_step(
    crm_old: str | None, crm_new: str, perm_old: str | None, perm_new: str | None
) -> ConsentStep:
    """Apply sync rules C1–C4 (they hold in every sync direction).

    Args:
        crm_old: Vtiger's Email Opt Out in the snapshot (None on a first pairing).
        crm_new: Vtiger's Email Opt Out now (``"0"``/``"1"``).
        perm_old: CC's permission stored on the link (None on a first pairing).
        perm_new: CC's permission now (None when unknown).
    """
    if perm_new == UNSUBSCRIBED:
        if crm_new == "1":
            return NO_STEP
        sticky = crm_old == "1"
        return ConsentStep("1", None, "optout_sticky" if sticky else "", 3 if sticky else 1)
    if crm_new == "1" and crm_old != "1":
        return ConsentStep(None, UNSUBSCRIBED, "", 2)
    if perm_old == UNSUBSCRIBED and perm_new in SUBSCRIBED_STATES and crm_new == "1":
        return ConsentStep("0", None, "", 4)
    return NO_STEP
