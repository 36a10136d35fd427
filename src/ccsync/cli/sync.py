"""``ccsync sync``, ``ccsync preview`` and ``ccsync held``: runs in the foreground.

All three start their work through the job backend, like the web app and the scheduler
(``ForegroundBackend``: ``run_now``, ``preview``, ``resolve_held``, in the foreground). ``sync``
shows a progress bar; ``--json`` prints one JSON object instead (run id, status, the two count
tables, conflicts, calls per side, duration).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ccsync.cli.common import connector_by_name, console, database_errors, load_settings, store
from ccsync.engine.result import Progress as RunProgress
from ccsync.engine.result import RunResult
from ccsync.jobs.backend import EnqueueResult, JobBackend
from ccsync.jobs.choice import cli_backend, close_backend, uses_queue
from ccsync.settings import AppSettings

JsonOut = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
EXIT_FAILED = 1
EXIT_STOPPED = 2  # stopped at the Preview, or busy: nothing went wrong, nothing was written


def backend(settings: AppSettings) -> JobBackend:
    """The backend the CLI starts its work on: the foreground, or (``CCSYNC_JOBS=procrastinate``)
    the job queue, whose ``run_now`` still runs in the foreground."""
    return cli_backend(settings)


@contextmanager
def _bar(enabled: bool) -> Iterator[Progress | None]:
    if not enabled:
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        yield bar


def _callback(bar: Progress | None) -> RunProgress | None:
    if bar is None:
        return None
    task = bar.add_task("starting", total=None)

    def progress(stage: str, done: int, total: int) -> None:
        bar.update(task, description=stage, completed=done, total=total or None)

    return progress


def _resolve(name: str) -> int:
    with store() as sessions:
        return connector_by_name(sessions, name).id


def _print(result: RunResult, as_json: bool) -> None:
    if as_json:
        data = result.to_json()
        data.pop("preview", None)
        typer.echo(json.dumps(data, sort_keys=True))
        return
    if result.status == "busy":
        console.print("[bold]Busy[/bold]: another run of this connector is going; nothing started.")
        return
    console.print(f"Run {result.run_id}: [bold]{result.status}[/bold] in {result.duration_s:.1f}s")
    if result.error:
        console.print(f"[red]{result.error}[/red]")
    table = Table("applied in", "Created", "Updated", "Skipped", "Deleted")
    for side, label in (("cc", "Constant Contact"), ("crm", "Vtiger")):
        c = result.counts[side]
        table.add_row(label, *(str(c[k]) for k in ("created", "updated", "skipped", "deleted")))
    console.print(table)
    console.print(
        f"Remote calls: Vtiger {result.calls['crm']}, Constant Contact {result.calls['cc']}"
    )
    if any(result.held.values()):
        console.print(f"Held by the circuit breaker: {result.held} — see `ccsync held`")
    if result.status == "preview":
        console.print("Stopped at the Preview: run `ccsync preview` to see it, then sync --confirm")


def _exit_code(result: RunResult) -> int:
    if result.status in ("succeeded", "partial"):
        return 0
    return EXIT_STOPPED if result.status in ("preview", "busy") else EXIT_FAILED


def sync(
    name: str,
    as_json: JsonOut = False,
    confirm: Annotated[bool, typer.Option("--confirm", help="Approve the Preview.")] = False,
    foreground: Annotated[
        bool, typer.Option("--foreground", help="Run here even when a job queue is configured.")
    ] = False,
) -> None:
    """Run a sync of connector NAME now, in the foreground (or queue it for the workers when
    CCSYNC_JOBS=procrastinate)."""
    settings = load_settings()
    with database_errors(as_json):
        connector_id = _resolve(name)
        if uses_queue(settings) and not foreground:
            queue = backend(settings)
            try:
                _queued(queue.enqueue_sync(connector_id, "cli", confirm=confirm), as_json)
            finally:
                close_backend(queue)
            return
        with _bar(not as_json) as bar:
            callback = _callback(bar)
            result = backend(settings).run_now(
                connector_id,
                "cli",
                confirm=confirm,
                progress=callback,
            )
    _print(result, as_json)
    raise typer.Exit(_exit_code(result))


def _queued(answer: EnqueueResult, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({"status": answer.status, "message": answer.message}))
    else:
        console.print(answer.message, highlight=False)


def preview(name: str, as_json: JsonOut = False) -> None:
    """Show what a run would do now (nothing is written)."""
    settings = load_settings()
    with database_errors(as_json):
        result = backend(settings).preview(_resolve(name))
    if as_json:
        typer.echo(json.dumps(result.to_json(), sort_keys=True))
        raise typer.Exit(0 if result.status == "preview" else EXIT_FAILED)
    if result.error:
        console.print(f"[red]{result.error}[/red]")
    table = Table("side", "action", "Vtiger id", "CC id", "name", "reason", "changes")
    for row in result.preview:
        changes = ", ".join(f"{k}: {v[0]!r}→{v[1]!r}" for k, v in row["diff"].items())
        table.add_row(
            row["side"], row["action"], row["crm_id"] or "", row["cc_id"] or "",
            row["name"], row["reason"], changes[:120],
        )  # fmt: skip
    console.print(table)
    if any(result.matching.values()):
        report = Table("first-sync matching", "records", title="Matching report")
        for category, count in result.matching.items():
            report.add_row(category.replace("_", " "), str(count))
        console.print(report)
    console.print(f"{len(result.preview)} planned actions; nothing was written.")


def held(
    name: str,
    confirm: Annotated[bool, typer.Option("--confirm", help="Apply the held actions.")] = False,
    discard: Annotated[bool, typer.Option("--discard", help="Drop them; pairs stay.")] = False,
    as_json: JsonOut = False,
) -> None:
    """Confirm or discard the actions held by the circuit breaker."""
    if confirm == discard:
        console.print("Give exactly one of --confirm or --discard.")
        raise typer.Exit(EXIT_FAILED)
    settings = load_settings()
    with database_errors(as_json):
        result = backend(settings).resolve_held(_resolve(name), confirm=confirm)
    _print(result, as_json)
    raise typer.Exit(_exit_code(result))
