"""Sync Log (counted as sync rules N1–N6 say), drill-down with CSV and the Debug Log."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from ccsync.store.repos.rows import DebugRow
from ccsync.store.repos.runs import get_run
from ccsync.web.deps import ConnectorDep, CurrentUser, RunDep, RunQueryDep, get_ctx
from ccsync.web.forms import debug_on
from ccsync.web.logs import (
    chart_of,
    conflict_counts,
    csv_rows,
    debug_page,
    debug_text,
    items_of,
    runs_of,
)
from ccsync.web.preview import first_run_banner
from ccsync.web.service import one_view
from ccsync.web.templating import local_time, render
from ccsync.web.views import SIDE_TITLES, run_view

router = APIRouter(include_in_schema=False)
PAGE_BODY_CHARS = 4000
PAGE_ENTRIES = 100
SideQ = Annotated[Literal["cc", "crm"], Query()]
PageQ = Annotated[int, Query(ge=1, le=1_000_000)]
ActionQ = Annotated[Literal["created", "updated", "skipped", "deleted", "conflict"], Query()]


@router.get("/connectors/{connector_id}/log", response_class=HTMLResponse)
def sync_log(request: Request, user: CurrentUser, row: ConnectorDep, run: RunQueryDep) -> Response:
    """The Sync Log: the selected (default: the latest applied, else the latest) run's two
    tables, the chart, all runs."""
    ctx = get_ctx(request)
    runs = runs_of(ctx, row.id, user.time_zone)
    found = run
    if found is None and runs:
        latest = next((r for r in runs if not r.planned), runs[0])
        with ctx.sessions() as session:
            found = get_run(session, latest.id)
    selected = None
    if found is not None:
        selected = run_view(found, user.time_zone, conflict_counts(ctx, found.id))
    c = one_view(ctx, user, row)
    return render(
        request,
        "sync_log.html",
        c=c,
        runs=runs,
        selected=selected,
        chart=chart_of(runs),
        zone=user.time_zone,
        banner=first_run_banner(ctx, row.id),
    )


@router.get("/connectors/{connector_id}/runs/{run_id}/items", response_class=HTMLResponse)
def run_items(
    request: Request, row: ConnectorDep, run: RunDep, side: SideQ, action: ActionQ
) -> Response:
    """The records behind one count: names linking to Vtiger and Constant Contact."""
    ctx = get_ctx(request)
    run_id = run.id
    items = items_of(ctx, row, run_id, side, action)
    return render(
        request,
        "run_items.html",
        c=row,
        run_id=run_id,
        side=side,
        action=action,
        side_title=SIDE_TITLES[side],
        items=items,
    )


@router.get("/connectors/{connector_id}/runs/{run_id}/items.csv")
def run_items_csv(
    request: Request, row: ConnectorDep, run: RunDep, side: SideQ, action: ActionQ
) -> Response:
    """Download As CSV."""
    ctx = get_ctx(request)
    run_id = run.id
    name = f"ccsync-run{run_id}-{side}-{action}.csv"
    return StreamingResponse(
        csv_rows(ctx, row, run_id, side, action),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.get("/connectors/{connector_id}/debug", response_class=HTMLResponse)
def debug_log(
    request: Request, user: CurrentUser, row: ConnectorDep, run: RunQueryDep, page: PageQ = 1
) -> Response:
    """The Debug Log (redacted, bodies capped) of one run of this connector (default: the
    latest that has entries), a page at a time, with the runs that have entries."""
    ctx = get_ctx(request)
    found = debug_page(ctx, row.id, run.id if run is not None else None, page, PAGE_ENTRIES)
    entries = [_entry_dict(e, user.time_zone) for e in found.entries]
    until = local_time(row.debug_until, user.time_zone) if row.debug_until else ""
    return render(
        request,
        "debug_log.html",
        c=row,
        entries=entries,
        found=found,
        run_id=found.run_id,
        debug_on=debug_on(row),
        debug_until=until,
        zone=user.time_zone,
    )


def _entry_dict(e: DebugRow, zone: str) -> dict[str, object]:
    data = asdict(e)
    for key in ("request_body", "response_body"):
        # The page stays light; the download has every entry in full (up to 64 KB each).
        if len(data[key]) > PAGE_BODY_CHARS:
            data[key] = data[key][:PAGE_BODY_CHARS] + "\n… (more in the download)"
    data["at"] = local_time(data["at"], zone, "%Y-%m-%d %H:%M:%S")
    return data


@router.get("/connectors/{connector_id}/debug.txt")
def debug_download(request: Request, row: ConnectorDep, run: RunQueryDep) -> Response:
    """The Debug Log as a text file (a run of this connector, or all of its runs)."""
    run_id = run.id if run is not None else None
    name = f"ccsync-debug-{row.id}{f'-run{run_id}' if run_id else ''}.txt"
    return StreamingResponse(
        debug_text(get_ctx(request), row.id, run_id),
        media_type="text/plain; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )
