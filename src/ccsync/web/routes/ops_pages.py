"""Preview and Confirm (sync rules P3, P4), and "needs attention": held actions, dead letters,
duplicates."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ccsync.errors import SyncError
from ccsync.web import ops, preview
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
from ccsync.web.views import SIDE_TITLES

router = APIRouter(include_in_schema=False)


SideQ = Annotated[Literal["", "cc", "crm"], Query()]
ActionQ = Annotated[Literal["", "created", "updated", "skipped", "deleted"], Query()]
ReasonQ = Annotated[str, Query(pattern=r"^[a-z0-9_]{0,64}$")]
PageQ = Annotated[int, Query(ge=1, le=1_000_000)]


@router.get("/connectors/{connector_id}/preview", response_class=HTMLResponse)
def preview_page(
    request: Request,
    user: CurrentUser,
    row: ConnectorDep,
    side: SideQ = "",
    action: ActionQ = "",
    reason: ReasonQ = "",
    page: PageQ = 1,
) -> Response:
    """The Preview page: the stored plan of the newest run when it is a Preview, both target
    sides, filtered by side, action and reason, a page at a time; Confirm or Discard of a first
    run that stopped at it. (Computing a new one reads both sides, so it starts on a click.)"""
    ctx = get_ctx(request)
    waiting = preview.waiting_run(ctx, row.id)
    want = preview.PlanFilter(side, action, reason, page)
    shown = preview.shown_plan(ctx, row.id)
    plan = preview.plan_page(ctx, row, shown, want, user.time_zone) if shown else None
    return render(
        request,
        "preview.html",
        c=row,
        plan=plan,
        want=want,
        banner=preview.banner_of(waiting),
        actions=preview.PLAN_ACTIONS,
        sides=SIDE_TITLES,
    )


@router.post("/connectors/{connector_id}/preview")
def preview_compute(request: Request, row: ConnectorDep) -> Response:
    """Compute (and store) the plan of a run without writing anything, then show it."""
    view = ops.run_preview(get_ctx(request), row.id)
    if view.error or view.status != "preview":
        flash(request, f"The preview could not be computed: {view.error or view.status}", "error")
    return RedirectResponse(f"/connectors/{row.id}/preview", status_code=303)


@router.post("/connectors/{connector_id}/confirm")
def confirm(request: Request, row: ConnectorDep) -> Response:
    """Confirm a first run that stopped at its Preview: it runs now, in the background."""
    result = get_ctx(request).backend.enqueue_sync(row.id, "confirm", confirm=True)
    flash(request, f"First run confirmed. {result.message}", "info")
    return RedirectResponse(f"/connectors/{row.id}/log", status_code=303)


@router.post("/connectors/{connector_id}/preview/discard")
def discard(request: Request, row: ConnectorDep) -> Response:
    """Discard a first run that stopped at its Preview: nothing is written, it waits no more."""
    if get_ctx(request).backend.discard_first_run(row.id):
        audit(request, "first_run_discarded", target=f"connector {row.id}")
        flash(
            request,
            "First run discarded: nothing was written. The next run plans again and stops at "
            "its Preview again if it would still create or overwrite more than 100 records.",
            "info",
        )
    else:
        flash(request, "No first run waits for Confirm.", "info")
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
