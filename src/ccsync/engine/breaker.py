"""The circuit breaker (sync rule D8), evaluated per target side on a plan.

It trips when the planned deletes on a side exceed max(5, min(100, 10% of linked pairs)), or
when the planned creates after the first run exceed max(100, 50% of linked pairs). The tripped
kind of action is held as a whole on that side; everything else is applied. **Confirm** (runner)
re-checks each held record, applies it and, for a delete, tombstones the pair; **Discard** logs
``discard(action)`` and keeps the pair.
"""

from __future__ import annotations

from dataclasses import replace

from ccsync.connectors.base import Side
from ccsync.engine import reasons
from ccsync.engine.plan_types import Action, Plan, PlanSettings

DELETE_KINDS = frozenset({"delete", "unlist"})
CREATE_KINDS = frozenset({"create", "revive"})


def delete_limit(linked_pairs: int) -> int:
    """The most deletes a side may get in one run without a confirmation."""
    return max(5, min(100, linked_pairs // 10))


def create_limit(linked_pairs: int) -> int:
    """The most creates a side may get in one run (after the first) without a confirmation."""
    return max(100, linked_pairs // 2)


def _held(actions: list[Action], code: str, limit: int) -> list[Action]:
    text = reasons.message(code, count=len(actions), limit=limit)
    return [replace(a, reason=code, message=text, conflicts=list(a.conflicts)) for a in actions]


def apply_breaker(plan: Plan, settings: PlanSettings) -> tuple[Plan, list[Action]]:
    """Split a plan into what may be applied now and what is held for an admin.

    Args:
        plan: the planner's output.
        settings: ``linked_pairs`` (live pairs before the run) and ``first_run``.

    Returns:
        (the plan to apply, the held actions with reason ``delete_held``/``create_held``).
    """
    pairs = settings.linked_pairs
    held: list[Action] = []
    kept: dict[str, list[Action]] = {}
    sides: tuple[Side, ...] = ("crm", "cc")
    for side in sides:
        actions = plan.side(side)
        deletes = [a for a in actions if a.kind in DELETE_KINDS]
        creates = [a for a in actions if a.kind in CREATE_KINDS]
        hold: set[int] = set()
        if len(deletes) > delete_limit(pairs):
            held += _held(deletes, reasons.DELETE_HELD, delete_limit(pairs))
            hold.update(id(a) for a in deletes)
        if not settings.first_run and len(creates) > create_limit(pairs):
            held += _held(creates, reasons.CREATE_HELD, create_limit(pairs))
            hold.update(id(a) for a in creates)
        kept[side] = [a for a in actions if id(a) not in hold]
    # A held delete keeps its pair: its tombstone waits for Confirm too.
    pairs_held = {(a.crm_id, a.cc_id) for a in held if a.kind in DELETE_KINDS}
    links = [
        a for a in plan.links if a.kind != "tombstone" or (a.crm_id, a.cc_id) not in pairs_held
    ]
    applied = Plan(kept["crm"], kept["cc"], links, plan.report, plan.preview_required)
    return applied, held


def discard(held: Action) -> Action:
    """The log entry of a held delete an admin discarded: the pair stays, "delete ignored"."""
    return replace(
        held,
        kind="skip",
        reason=reasons.DELETE_IGNORED,
        message=reasons.message(reasons.DELETE_IGNORED),
        new=True,
    )
