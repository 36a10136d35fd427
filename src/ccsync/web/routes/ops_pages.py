"""Preview and Confirm (B1), and "needs attention": held actions, dead letters, duplicates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ccsync.errors import SyncError
from ccsync.web import ops
from ccsync.web.audit import audit
from ccsync.web.deps import (
    AttentionDep,
    ConnectorDep,
    CurrentUser,
    DeadLetterDep,
    HeldDep,
    get_ctx,
)
from ccsync.web.templating import flash, render

router = APIRouter(include_in_schema=False)


def _preview_page(request: Request, row: ConnectorDep, view: ops.PreviewView | None) -> Response:
    ctx = get_ctx(request)
    waiting = ops.first_run_waiting(ctx, row.id)
    if view is None:
        return render(
            request,
            "preview.html",
            c=row,
            summary=None,
            matching={},
            items=[],
            truncated=False,
            error="",
            needs_confirm=waiting,
            first_run=waiting,
        )
    return render(
        request,
        "preview.html",
        c=row,
        summary=view.summary,
        matching=view.matching,
        items=view.items,
        truncated=view.truncated,
        error=view.error,
        needs_confirm=waiting or view.needs_confirm,
        first_run=waiting,
    )


@router.get("/connectors/{connector_id}/preview", response_class=HTMLResponse)
def preview_page(request: Request, row: ConnectorDep) -> Response:
    """The Preview page (computing it reads both sides, so it starts on a click)."""
    return _preview_page(request, row, None)


@router.post("/connectors/{connector_id}/preview", response_class=HTMLResponse)
def preview_compute(request: Request, row: ConnectorDep) -> Response:
    """Compute the plan of a run without writing anything."""
    return _preview_page(request, row, ops.run_preview(get_ctx(request), row.id))


@router.post("/connectors/{connector_id}/confirm")
def confirm(request: Request, row: ConnectorDep) -> Response:
    """Confirm a first run that stopped at its Preview: it runs now, in the background."""
    result = get_ctx(request).backend.enqueue_sync(row.id, "confirm", confirm=True)
    flash(request, f"First run confirmed. {result.message}", "info")
    return RedirectResponse(f"/connectors/{row.id}/log", status_code=303)


@router.get("/connectors/{connector_id}/operations", response_class=HTMLResponse)
def operations(request: Request, user: CurrentUser, row: ConnectorDep) -> Response:
    """Held actions, dead letters, ambiguous duplicates and recent conflicts."""
    lists = ops.attention_lists(get_ctx(request), row, user.time_zone)
    return render(request, "operations.html", c=row, **lists)


@router.post("/connectors/{connector_id}/dead/{entry_id}/retry")
def retry_dead(request: Request, row: HeldDep, entry: DeadLetterDep) -> Response:
    """ "Retry now" of one dead letter (admins)."""
    if not ops.retry_dead(get_ctx(request), row.id, entry.id):
        raise HTTPException(404, "No such dead letter.")
    audit(request, "dead_letter_retry", target=f"connector {row.id}", detail=f"entry {entry.id}")
    flash(request, "The record will be retried on the next run.")
    return RedirectResponse(f"/connectors/{row.id}/operations", status_code=303)


@router.post("/connectors/{connector_id}/held/confirm")
def held_confirm(request: Request, row: HeldDep) -> Response:
    """Confirm the held actions (admins): each record is checked again, then applied."""
    message = ops.resolve_held(get_ctx(request), row.id, confirm=True)
    audit(request, "held_confirmed", target=f"connector {row.id}", detail=message)
    flash(request, message, "info")
    return RedirectResponse(f"/connectors/{row.id}/operations", status_code=303)


@router.post("/connectors/{connector_id}/held/discard")
def held_discard(request: Request, row: HeldDep) -> Response:
    """Discard the held actions (admins): the pairs stay."""
    message = ops.resolve_held(get_ctx(request), row.id, confirm=False)
    audit(request, "held_discarded", target=f"connector {row.id}", detail=message)
    flash(request, message, "info")
    return RedirectResponse(f"/connectors/{row.id}/operations", status_code=303)


@router.post("/connectors/{connector_id}/attention/{attention_id}/link")
def link_this_one(
    request: Request,
    row: ConnectorDep,
    item: AttentionDep,
    crm_id: Annotated[str, Form(min_length=1, max_length=64)],
) -> Response:
    """ "Link this one" of ambiguous duplicates."""
    try:
        message = ops.link_this_one(get_ctx(request), row, item.id, crm_id)
    except LookupError:
        raise HTTPException(404, "No such item.") from None
    except SyncError as exc:
        message = f"Constant Contact could not be searched: {exc}"
    audit(request, "duplicate_linked", target=f"connector {row.id}", detail=message)
    flash(request, message, "info")
    return RedirectResponse(f"/connectors/{row.id}/operations", status_code=303)
