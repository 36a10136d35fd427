"""Preview (sync rule P4) and "needs attention": held actions (sync rule D8), dead letters
(sync rule F1), ambiguous duplicates (sync rule I4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ccsync.engine.config import ConnectorConfig, load_config
from ccsync.engine.factory import build_cc
from ccsync.engine.result import RunResult
from ccsync.errors import NotFound, SyncError
from ccsync.store.repos.held import list_attention, list_held, resolve_attention
from ccsync.store.repos.links import list_pending, upsert_links
from ccsync.store.repos.retry import list_retries, retry_now
from ccsync.store.repos.rows import ConnectorRow, LinkWrite
from ccsync.store.repos.runs import list_run_items, list_runs
from ccsync.web.context import WebContext
from ccsync.web.preview import waiting_run
from ccsync.web.templating import local_time
from ccsync.web.views import SIDE_TITLES, normal_counts

PREVIEW_ROWS = 200


@dataclass(slots=True)
class PreviewView:
    """What the Preview page shows."""

    status: str
    summary: dict[str, dict[str, int]]
    matching: dict[str, int]
    items: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False
    error: str = ""
    needs_confirm: bool = False


def preview_of(result: RunResult) -> PreviewView:
    """The Preview page of a dry run's result."""
    actions = [a for a in result.preview if isinstance(a, dict)]
    items = [_preview_row(a) for a in actions[:PREVIEW_ROWS]]
    return PreviewView(
        status=result.status,
        summary=normal_counts(result.counts),
        matching=matching_report(result, actions),
        items=items,
        truncated=len(actions) > PREVIEW_ROWS,
        error=result.error or "",
    )


def matching_report(result: RunResult, actions: list[dict[str, Any]]) -> dict[str, int]:
    """The first-sync matching report (matched, ambiguous, no email, no last name, deleted or
    unsubscribed CC twins, before the cutoff) plus the planned skips per reason."""
    report = dict(result.matching)
    for a in actions:
        if a.get("action") == "skip" and a.get("reason"):
            key = f"skipped: {a['reason']}"
            report[key] = report.get(key, 0) + 1
    return report


def _preview_row(a: dict[str, Any]) -> dict[str, Any]:
    side = str(a.get("side") or "")
    diff = a.get("diff") or {}
    changes = (
        ", ".join(f"{k}: {_pair(v)}" for k, v in diff.items()) if isinstance(diff, dict) else ""
    )
    return {
        "side_title": SIDE_TITLES.get(side, side),
        "action": str(a.get("action") or ""),
        "name": str(a.get("name") or a.get("crm_id") or a.get("cc_id") or ""),
        "reason": str(a.get("reason") or ""),
        "diff": changes,
    }


def _pair(value: Any) -> str:
    if isinstance(value, list | tuple) and len(value) == 2:
        return f"{value[0] or '∅'} → {value[1] or '∅'}"
    return str(value)


def run_preview(ctx: WebContext, connector_id: int) -> PreviewView:
    """Compute a Preview now (reads both sides, writes nothing)."""
    try:
        result = ctx.backend.preview(connector_id)
    except SyncError as exc:
        return PreviewView("failed", normal_counts({}), {}, error=str(exc))
    view = preview_of(result)
    view.needs_confirm = first_run_waiting(ctx, connector_id)
    return view


def first_run_waiting(ctx: WebContext, connector_id: int) -> bool:
    """Whether the latest run stopped at its Preview and waits for Confirm."""
    return waiting_run(ctx, connector_id) is not None


def attention_lists(ctx: WebContext, row: ConnectorRow, zone: str) -> dict[str, Any]:
    """Held actions, dead letters, ambiguous duplicates and recent conflicts."""
    connector_id = row.id
    config = load_config(row)
    with ctx.sessions() as session:
        held = list_held(session, connector_id)
        dead = list_retries(session, connector_id, dead=True)
        attention = list_attention(session, connector_id)
        pending = list_pending(session, connector_id)
        runs = list_runs(session, connector_id, limit=5)
        conflicts = [
            i for r in runs for i in list_run_items(session, r.id, action="conflict", limit=50)
        ]
    return {
        "held": [
            {
                **_plain(h),
                "side_title": SIDE_TITLES.get(h.side, h.side),
                "held_at": local_time(h.held_at, zone),
            }
            for h in held
        ],
        "dead": [
            {**_plain(d), "source_title": SIDE_TITLES.get(d.source_side, d.source_side)}
            for d in dead
        ],
        "attention": [_attention_view(a.id, a.email, a.candidates, config) for a in attention],
        "conflicts": conflicts,
        "pending": [
            {
                "crm_id": p.crm_id,
                "cc_id": p.cc_id,
                "reason": p.pending,
                "crm_email": (p.crm_snapshot or {}).get("email", ""),
                "cc_email": (p.cc_snapshot or {}).get("email", ""),
            }
            for p in pending
        ],
    }


def _plain(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in row.__slots__}


def _candidates(raw: list[Any]) -> list[dict[str, str]]:
    """Stored candidates as dicts: ``crm_id``, ``name``, ``email``, ``cc_id`` (items of older
    versions stored bare ids: their names and emails are empty)."""
    out = []
    for c in raw:
        found = c if isinstance(c, dict) else {"crm_id": c}
        out.append({k: str(found.get(k) or "") for k in ("crm_id", "name", "email", "cc_id")})
    return [c for c in out if c["crm_id"]]


def _attention_view(
    item_id: int, email: str, raw: list[Any], config: ConnectorConfig
) -> dict[str, Any]:
    """One ambiguous-duplicates case: the address, its CC contact and each Vtiger candidate,
    with links to the records."""
    candidates = _candidates(raw)
    cc_id = next((c["cc_id"] for c in candidates if c["cc_id"]), "")
    return {
        "id": item_id,
        "email": email,
        "cc_id": cc_id,
        "cc_url": config.cc.record_url(cc_id),
        "candidates": [{**c, "crm_url": config.crm.record_url(c["crm_id"])} for c in candidates],
    }


def retry_dead(ctx: WebContext, connector_id: int, entry_id: int) -> bool:
    """ "Retry now": the dead letter is due again with fresh attempts (next run picks it up)."""
    with ctx.sessions.begin() as session:
        return retry_now(session, connector_id, [entry_id]) > 0


def resolve_held(ctx: WebContext, connector_id: int, *, confirm: bool) -> str:
    """Confirm or Discard the held actions; the sentence to show."""
    try:
        result = ctx.backend.resolve_held(connector_id, confirm=confirm)
    except SyncError as exc:
        return f"Could not resolve the held actions: {exc}"
    if result.status == "busy":
        return "A run is going; try again when it ends."
    if not confirm:
        return 'Held actions discarded: the pairs stay and the log says "delete ignored".'
    done = sum(result.counts[s]["deleted"] + result.counts[s]["created"] for s in result.counts)
    return f"Held actions confirmed: {done} applied after a fresh check ({result.status})."


def link_this_one(ctx: WebContext, row: ConnectorRow, attention_id: int, crm_id: str) -> str:
    """ "Link this one": pair the chosen CRM duplicate with the CC contact of that email.

    The pair has no snapshot yet, so the next run treats it as a first pairing (fields merged
    by the first-pairing rules, the email never rewritten).
    """
    with ctx.sessions() as session:
        item = next((a for a in list_attention(session, row.id) if a.id == attention_id), None)
    if item is None:
        raise NotFound("no such item")
    if crm_id not in {c["crm_id"] for c in _candidates(item.candidates)}:
        return "That record is not one of the candidates."
    cc_id = _cc_id_of(ctx, row, item.email)
    if cc_id is None:
        return f"No Constant Contact contact has the email {item.email}; nothing was linked."
    with ctx.sessions.begin() as session:
        upsert_links(session, row.id, [LinkWrite(crm_id=crm_id, cc_id=cc_id)])
        resolve_attention(session, attention_id)
    chosen = next(c for c in _candidates(item.candidates) if c["crm_id"] == crm_id)
    who = f"{chosen['name']} ({crm_id})" if chosen["name"] else crm_id
    return (
        f"Linked {who} with the Constant Contact contact of {item.email}; the next run syncs them."
    )


def _cc_id_of(ctx: WebContext, row: ConnectorRow, email: str) -> str | None:
    connector = build_cc(ctx.settings, ctx.sessions, row)
    try:
        found = connector.find_by_email(email)
    finally:
        connector.close()
    return found[0].id if len(found) == 1 else None
