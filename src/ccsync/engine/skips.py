"""``last_skipped`` for the planner: the fingerprint of each record when it was last skipped.

A validation skip counts once per change of the record, not on every run, so the runner keeps
the fingerprint of every skip in its run item and hands the latest one back to the planner.
A Preview's items (asked for, or a first run stopped at it) are only planned: they do not count
as reported, so the run that applies reports those skips.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import or_, select

from ccsync.engine.reasons import CC_EMAIL_IN_USE
from ccsync.store.models import Run, RunItem

if TYPE_CHECKING:
    from ccsync.engine.recording import Recorder

CHUNK = 500


def skip_key(side: str, crm_id: str | None, cc_id: str | None) -> str:
    """The planner's ``Action.skip_key`` rebuilt from a stored run item."""
    if side == "cc":
        return f"crm:{crm_id}" if crm_id else f"cc:{cc_id}"
    return f"cc:{cc_id}" if cc_id else f"crm:{crm_id}"


def last_skipped(recorder: Recorder, keys: Sequence[str]) -> dict[str, str]:
    """``"<side>:<id>"`` → fingerprint of the latest skip of that record (for ``keys``)."""
    crm_ids = [k[4:] for k in keys if k.startswith("crm:")]
    cc_ids = [k[3:] for k in keys if k.startswith("cc:")]
    out: dict[str, str] = {}
    with recorder.sessions.begin() as session:
        for column, ids in ((RunItem.crm_id, crm_ids), (RunItem.cc_id, cc_ids)):
            for start in range(0, len(ids), CHUNK):
                stmt = (
                    select(RunItem.side, RunItem.crm_id, RunItem.cc_id, RunItem.diff)
                    .join(Run, Run.id == RunItem.run_id)
                    .where(
                        Run.connector_id == recorder.connector_id,
                        Run.status != "preview",  # a Preview's planned skips are not reported
                        RunItem.action == "skipped",
                        or_(column.in_(ids[start : start + CHUNK])),
                    )
                    .order_by(RunItem.id)
                )
                for side, crm_id, cc_id, diff in session.execute(stmt):
                    if isinstance(diff, dict) and isinstance(diff.get("fingerprint"), str):
                        out[skip_key(side, crm_id, cc_id)] = diff["fingerprint"]
    return out


def blocked_by(recorder: Recorder, cc_ids: Sequence[str]) -> list[str]:
    """The Vtiger contacts whose create into CC was refused ``cc_email_in_use`` because one of
    ``cc_ids`` held the address (the skip's item names the holder)."""
    out: dict[str, None] = {}
    with recorder.sessions.begin() as session:
        for start in range(0, len(cc_ids), CHUNK):
            stmt = (
                select(RunItem.crm_id)
                .join(Run, Run.id == RunItem.run_id)
                .where(
                    Run.connector_id == recorder.connector_id,
                    RunItem.side == "cc",
                    RunItem.action == "skipped",
                    RunItem.reason == CC_EMAIL_IN_USE,
                    RunItem.cc_id.in_(cc_ids[start : start + CHUNK]),
                )
            )
            out.update((crm_id, None) for crm_id in session.scalars(stmt) if crm_id)
    return list(out)
