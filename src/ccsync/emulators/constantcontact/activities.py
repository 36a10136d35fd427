"""Bulk activities: a per-account queue processed at ``activity_rate`` items per second.

An activity waits ``activity_delay`` seconds (``initialized``), then processes its items one
activity after another (``processing``), and applies its effects in one step at the instant it
completes (``completed``). Nothing runs in the background: ``run_due`` is called at the start
of every ``/v3`` request and computes from the emulator clock what has finished by now.
"""

from __future__ import annotations

from typing import Any

from ccsync.emulators.constantcontact import bulk
from ccsync.emulators.constantcontact.state import Account, EmulatorState, Record, new_id, stamp

QUEUE_LIMIT = 1000
RETENTION = 10 * 86400  # CC keeps activity status for 10 days (§3.13)
QUEUE_FULL = {
    "error_key": "too_many_requests",
    "error_message": "Too many requests. You exceeded 1,000 queued activities for this user "
    "account.",
}
RESULT_LINK = "/v3/contact_exports/{}"


def queued(account: Account, now: float) -> int:
    """Activities of the account not completed at ``now``."""
    return sum(1 for a in account.activities.values() if float(a["finish"]) > now)


def enqueue(
    state: EmulatorState, account: Account, kind: str, total: int, payload: dict[str, Any]
) -> Record:
    """Schedule an activity behind the account's queue and return its record."""
    config = state.config
    now = state.clock.time()
    last_finish = max((float(a["finish"]) for a in account.activities.values()), default=now)
    start = max(now + config.activity_delay, last_finish)
    duration = total / config.activity_rate if config.activity_rate > 0 else 0.0
    activity: Record = {
        "activity_id": new_id(),
        "kind": kind,
        "created": now,
        "start": start,
        "finish": start + duration,
        "total": total,
        "payload": payload,
        "applied": False,
        "errors": list(payload.pop("errors", [])),
        "status": dict(payload.pop("status", {})),
    }
    account.activities[activity["activity_id"]] = activity
    return activity


def run_due(state: EmulatorState, account: Account) -> None:
    """Apply every activity that has completed by now, in queue order; forget old ones."""
    now = state.clock.time()
    expired = [
        k for k, a in account.activities.items() if a["applied"] and a["finish"] < now - RETENTION
    ]
    for activity_id in expired:
        del account.activities[activity_id]
        account.exports.pop(activity_id, None)
    due = [a for a in account.activities.values() if not a["applied"] and a["finish"] <= now]
    for activity in sorted(due, key=lambda a: float(a["finish"])):
        bulk.apply(state, account, activity, stamp(float(activity["finish"])))
        activity["applied"] = True
        activity["payload"] = {}
        state.dirty = True


def view(activity: Record, now: float) -> Record:
    """The activity as the API shows it at ``now`` (``Activity`` and friends)."""
    total = int(activity["total"])
    start, finish = float(activity["start"]), float(activity["finish"])
    out: Record = {
        "activity_id": activity["activity_id"],
        "state": "initialized",
        "created_at": stamp(float(activity["created"])),
        "updated_at": stamp(float(activity["created"])),
        "percent_done": 0,
        "activity_errors": activity["errors"],
        "status": _status(activity, 0),
        "_links": {"self": {"href": f"/v3/activities/{activity['activity_id']}"}},
    }
    if now < start:
        return out
    done = total if now >= finish else int(total * (now - start) / max(finish - start, 1e-9))
    out.update(state="processing", started_at=stamp(start), updated_at=stamp(min(now, finish)))
    out["percent_done"] = 100 if total == 0 else int(100 * done / total)
    out["status"] = _status(activity, done)
    if now >= finish:
        out.update(state="completed", completed_at=stamp(finish), percent_done=100)
        if activity["kind"] == "export":
            out["_links"]["results"] = {"href": RESULT_LINK.format(activity["activity_id"])}
    return out


def _status(activity: Record, done: int) -> Record:
    status: Record = {"items_total_count": int(activity["total"])}
    if activity["kind"] != "import":
        status["items_completed_count"] = done
    status.update(activity["status"])
    return status


def listing(account: Account, now: float, state_filter: str | None, limit: int) -> list[Record]:
    """Activities of the account, newest first, optionally of one state."""
    views = [view(a, now) for a in account.activities.values()]
    views.sort(key=lambda v: str(v["created_at"]), reverse=True)
    if state_filter:
        views = [v for v in views if v["state"] == state_filter]
    return views[:limit]
