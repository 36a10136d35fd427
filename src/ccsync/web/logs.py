"""The Sync Log's reads: runs in the viewer's zone, drill-downs, CSV, the Debug Log."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from ccsync.engine.config import load_config
from ccsync.runlog import CSV_BOM, CSV_COLUMNS, csv_cells, item_record
from ccsync.store.repos.debuglog import count_debug, debug_counts, iter_debug, list_debug
from ccsync.store.repos.rows import ConnectorRow, DebugRow, RunRow
from ccsync.store.repos.runs import get_run, iter_run_items, list_run_items, list_runs
from ccsync.web.chart import Chart, build_chart
from ccsync.web.context import WebContext
from ccsync.web.views import ItemView, RunView, item_view, run_view

ITEM_PAGE = 500
CHART_RUNS = 20


def runs_of(ctx: WebContext, connector_id: int, zone: str, limit: int = 50) -> list[RunView]:
    """The connector's runs, newest first, with times in ``zone``."""
    with ctx.sessions() as session:
        return [run_view(r, zone) for r in list_runs(session, connector_id, limit=limit)]


def run_of(ctx: WebContext, connector_id: int, run_id: int) -> RunRow | None:
    """The run if it belongs to the connector."""
    with ctx.sessions() as session:
        run = get_run(session, run_id)
    return run if run is not None and run.connector_id == connector_id else None


def conflict_counts(ctx: WebContext, run_id: int) -> dict[str, int]:
    """Conflict items per target side (shown beside the four counts when any)."""
    with ctx.sessions() as session:
        items = list_run_items(session, run_id, action="conflict", limit=10_000)
    out = {"cc": 0, "crm": 0}
    for item in items:
        if item.side in out:
            out[item.side] += 1
    return out


def chart_of(runs: list[RunView]) -> Chart:
    """The chart of the latest runs that applied something (previews are not runs), oldest
    first."""
    recent = list(reversed([r for r in runs if not r.planned][:CHART_RUNS]))
    return build_chart([(r.id, r.counts) for r in recent])


def items_of(
    ctx: WebContext, row: ConnectorRow, run_id: int, side: str, action: str
) -> list[ItemView]:
    """The records behind one count (first ``ITEM_PAGE``; the CSV has them all)."""
    config = load_config(row)
    with ctx.sessions() as session:
        items = list_run_items(session, run_id, side=side, action=action, limit=ITEM_PAGE)
    return [item_view(i, config) for i in items]


def csv_rows(
    ctx: WebContext, row: ConnectorRow, run_id: int, side: str, action: str
) -> Iterator[str]:
    """ "Download as CSV": a byte-order mark, a header, one line per record (``ccsync.runlog``)."""
    config = load_config(row)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield CSV_BOM + _drain(buffer)
    with ctx.sessions() as session:
        for item in iter_run_items(session, run_id, side=side, action=action):
            writer.writerow(csv_cells(item_record(item, config)))
            yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def debug_entries(
    ctx: WebContext, connector_id: int, run_id: int | None, limit: int = 200
) -> list[DebugRow]:
    """Debug entries of ``run_id`` (default: of the latest runs that have any)."""
    with ctx.sessions() as session:
        if run_id is not None:
            return list_debug(session, run_id, limit=limit)
        out: list[DebugRow] = []
        for run in list_runs(session, connector_id, limit=10):
            out.extend(list_debug(session, run.id, limit=limit - len(out)))
            if len(out) >= limit:
                break
        return out


@dataclass(frozen=True, slots=True)
class DebugPage:
    """One page of one run's Debug Log entries, and the runs that have entries."""

    run_id: int | None
    entries: list[DebugRow]
    total: int
    first: int
    page: int
    pages: int
    runs: list[tuple[int, int]]


def debug_page(
    ctx: WebContext, connector_id: int, run_id: int | None, page: int, size: int
) -> DebugPage:
    """Page ``page`` of ``run_id``'s entries (default: the latest run that has any)."""
    with ctx.sessions() as session:
        runs = debug_counts(session, connector_id)
        chosen = run_id if run_id is not None else (runs[0][0] if runs else None)
        total = count_debug(session, chosen) if chosen is not None else 0
        pages = max(1, -(-total // size))
        page = min(page, pages)
        offset = (page - 1) * size
        rows = list_debug(session, chosen, limit=size, offset=offset) if chosen else []
    return DebugPage(chosen, rows, total, offset + 1, page, pages, runs)


def debug_text(ctx: WebContext, connector_id: int, run_id: int | None) -> Iterator[str]:
    """The Debug Log download: every entry as readable text (already redacted and capped)."""
    with ctx.sessions() as session:
        runs = [run_id] if run_id is not None else [r.id for r in list_runs(session, connector_id)]
        for rid in runs:
            for e in iter_debug(session, rid):
                yield _entry_text(e)


def _entry_text(e: DebugRow) -> str:
    when = e.at.isoformat()
    head = f"=== run {e.run_id} · {when} · {e.method} {e.url} → {e.status} ({e.duration_ms} ms)\n"
    req = "".join(f"{k}: {v}\n" for k, v in e.request_headers.items())
    res = "".join(f"{k}: {v}\n" for k, v in e.response_headers.items())
    return f"{head}--- request\n{req}\n{e.request_body}\n--- response\n{res}\n{e.response_body}\n\n"
