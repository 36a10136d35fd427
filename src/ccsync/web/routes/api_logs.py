"""JSON API: the Sync Log (runs, drill-down, CSV) and the Debug Log."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from ccsync.engine.config import load_config
from ccsync.store.repos.runs import list_run_items
from ccsync.web.deps import ConnectorDep, CurrentUser, RunDep, RunQueryDep, get_ctx
from ccsync.web.logs import csv_rows, debug_entries, runs_of
from ccsync.web.routes.api_common import ERRORS, run_out
from ccsync.web.schemas import DebugEntryOut, RunItemOut, RunOut
from ccsync.web.views import item_view, run_view

router = APIRouter(tags=["logs"], responses=ERRORS)
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
SideQ = Annotated[Literal["cc", "crm"], Query()]
ActionQ = Annotated[Literal["created", "updated", "skipped", "deleted", "conflict"], Query()]


@router.get("/connectors/{connector_id}/runs", response_model=list[RunOut])
def runs(request: Request, user: CurrentUser, row: ConnectorDep, limit: Limit = 50) -> list[RunOut]:
    """The runs, newest first; ``local_date``/``local_time`` are in the user's zone."""
    return [run_out(r) for r in runs_of(get_ctx(request), row.id, user.time_zone, limit)]


@router.get("/connectors/{connector_id}/runs/{run_id}", response_model=RunOut)
def run(user: CurrentUser, found: RunDep) -> RunOut:
    """One run with its two tables of counts."""
    return run_out(run_view(found, user.time_zone))


@router.get("/connectors/{connector_id}/runs/{run_id}/items", response_model=list[RunItemOut])
def items(
    request: Request,
    row: ConnectorDep,
    run: RunDep,
    side: SideQ,
    action: ActionQ,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[RunItemOut]:
    """The records behind one count (one page)."""
    run_id = run.id
    config = load_config(row)
    with get_ctx(request).sessions() as session:
        page = list_run_items(session, run_id, side=side, action=action, limit=limit, offset=offset)
    out = []
    for item in page:
        data = asdict(item_view(item, config))
        data.pop("at")
        out.append(RunItemOut(**data))
    return out


@router.get(
    "/connectors/{connector_id}/runs/{run_id}/items.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "The records as CSV"}},
)
def items_csv(
    request: Request, row: ConnectorDep, run: RunDep, side: SideQ, action: ActionQ
) -> StreamingResponse:
    """Download As CSV."""
    return StreamingResponse(
        csv_rows(get_ctx(request), row, run.id, side, action), media_type="text/csv; charset=utf-8"
    )


@router.get("/connectors/{connector_id}/debug", response_model=list[DebugEntryOut])
def debug(
    request: Request, row: ConnectorDep, run: RunQueryDep, limit: Limit = 200
) -> list[DebugEntryOut]:
    """Debug Log entries (redacted, bodies capped) of a run or of the latest runs."""
    entries = debug_entries(get_ctx(request), row.id, run.id if run else None, limit)
    return [
        DebugEntryOut(**{k: v for k, v in asdict(e).items() if k != "connector_id"})
        for e in entries
    ]
