"""``ccsync log NAME [--run ID] [--json|--csv]``: the Sync Log from a terminal.

Without ``--run``: the connector's runs (newest first) with their two count tables. With
``--run``: that run's items. ``--csv`` writes the items (times ISO-8601 with an offset).
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from ccsync.cli.common import connector_by_name, console, fail, store
from ccsync.engine.config import ConnectorConfig, load_config
from ccsync.runlog import CSV_COLUMNS, csv_cells, item_record
from ccsync.store import repos
from ccsync.store.repos import RunItemRow, RunRow


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def run_json(run: RunRow) -> dict[str, Any]:
    """A run as JSON (times ISO-8601 with offset)."""
    return {
        "id": run.id,
        "trigger": run.trigger,
        "status": run.status,
        "started_at": _iso(run.started_at),
        "ended_at": _iso(run.ended_at),
        "counts": run.counts,
        "calls": run.calls,
        "error": run.error,
        "first_run": run.first_run,
    }


def item_json(item: RunItemRow, config: ConnectorConfig) -> dict[str, Any]:
    """A run item as JSON, with links to the record on both sides (``ccsync.runlog``)."""
    return item_record(item, config)


def _items(sessions: sessionmaker[Session], run_id: int) -> list[RunItemRow]:
    with sessions.begin() as session:
        return list(repos.iter_run_items(session, run_id))


def log(
    name: str,
    run: Annotated[int | None, typer.Option("--run", help="Show one run's items.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    as_csv: Annotated[bool, typer.Option("--csv")] = False,
    limit: Annotated[int, typer.Option(help="Runs to list.")] = 20,
) -> None:
    """Show the Sync Log of connector NAME (or one run's items with --run)."""
    with store() as sessions:
        row = connector_by_name(sessions, name)
        config = load_config(row)
        with sessions.begin() as session:
            runs = repos.list_runs(session, row.id, limit=limit)
            chosen = repos.get_run(session, run) if run is not None else None
        if run is not None and (chosen is None or chosen.connector_id != row.id):
            raise fail(f"connector {name} has no run {run}")
        picked = [chosen] if chosen is not None else runs
        items = [i for r in picked for i in _items(sessions, r.id)] if (run or as_csv) else []
    rows = [item_json(i, config) for i in items]
    if as_csv:
        _write_csv(rows)
    elif as_json:
        data: Any = (
            {"run": run_json(chosen), "items": rows} if chosen else [run_json(r) for r in runs]
        )
        typer.echo(json.dumps(data, indent=2))
    elif chosen is not None:
        _print_items(chosen, rows)
    else:
        _print_runs(runs)


def _write_csv(rows: list[dict[str, Any]]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(csv_cells(row))


def _print_runs(runs: list[RunRow]) -> None:
    table = Table("run", "started", "trigger", "status", "CC C/U/S/D", "Vtiger C/U/S/D", "calls")
    for r in runs:
        table.add_row(
            str(r.id), _iso(r.started_at), r.trigger, r.status, _cusd(r.counts, "cc"),
            _cusd(r.counts, "crm"), f"{r.calls.get('crm', 0)}/{r.calls.get('cc', 0)}",
        )  # fmt: skip
    console.print(table)


def _cusd(counts: dict[str, Any], side: str) -> str:
    c = counts.get(side) or {}
    return "/".join(str(c.get(k, 0)) for k in ("created", "updated", "skipped", "deleted"))


def _print_items(run: RunRow, rows: list[dict[str, Any]]) -> None:
    console.print(f"Run {run.id} ({run.trigger}, {run.status}) started {_iso(run.started_at)}")
    if run.error:
        console.print(f"[red]{run.error}[/red]")
    table = Table("side", "action", "name", "Vtiger id", "CC id", "reason", "message")
    for r in rows:
        table.add_row(
            r["side"], r["action"], r["record_name"], r["crm_id"], r["cc_id"], r["reason"],
            r["message"][:100],
        )  # fmt: skip
    console.print(table)
