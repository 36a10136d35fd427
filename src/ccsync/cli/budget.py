"""``ccsync budget``: the Constant Contact API budget per application, today (UTC).

For each CC application (client id): calls spent today by every process and machine, what is
left, each connector's calls today (both sides) and its projected calls a day at its
Background Sync Frequency; when the projection does not fit, the achievable frequency.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from ccsync.cli.common import console, database_errors, store
from ccsync.jobs.budget import SHARE_ALLOWED, KeyBudget, budget_report

EXIT_DOES_NOT_FIT = 3


def _as_json(key: KeyBudget) -> dict[str, Any]:
    return {
        "client_id": key.client_id,
        "quota": key.quota,
        "spent_today": key.spent_today,
        "left": key.left,
        "projected_per_day": key.projected,
        "fits": key.fits,
        "achievable_frequency": key.achievable,
        "connectors": [
            {
                "name": c.name,
                "frequency": c.frequency if c.scheduled else "off",
                "calls_today": c.calls_today,
                "calls_per_run": c.per_run,
                "projected_per_day": c.projected,
            }
            for c in key.connectors
        ],
    }


def _print(key: KeyBudget) -> None:
    console.print(
        f"Constant Contact application [bold]{key.client_id}[/bold]: {key.spent_today} of "
        f"{key.quota} calls today (UTC), [bold]{key.left} left[/bold]",
        highlight=False,
    )
    table = Table("connector", "frequency", "CC calls today", "Vtiger calls today",
                  "CC calls a run", "projected CC calls a day")  # fmt: skip
    for c in key.connectors:
        per_run = f"{c.per_run:g}" + ("" if c.measured else " (assumed)")
        frequency = c.frequency if c.scheduled else "off"
        table.add_row(c.name, frequency, str(c.calls_today["cc"]), str(c.calls_today["crm"]),
                      per_run, str(c.projected))  # fmt: skip
    console.print(table)
    share = f"{round(SHARE_ALLOWED * 100)}%"
    if key.fits:
        console.print(
            f"The configured frequencies fit: about {key.projected} calls a day, within "
            f"{share} of the quota ({key.allowed}).",
            highlight=False,
        )
        return
    console.print(
        f"[red]The configured frequencies do not fit[/red]: about {key.projected} calls a day, "
        f"more than {share} of the quota ({key.allowed}). Achievable frequency for every "
        f"connector of this application: [bold]{key.achievable}[/bold].",
        highlight=False,
    )


def budget(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Show today's Constant Contact API budget per application and connector."""
    with database_errors(as_json), store() as sessions:
        keys = budget_report(sessions, datetime.now(UTC))
    if as_json:
        typer.echo(json.dumps({"applications": [_as_json(k) for k in keys]}, sort_keys=True))
    else:
        if not keys:
            console.print("No connector has a Constant Contact client id yet.")
        for key in keys:
            _print(key)
    if not all(k.fits for k in keys):
        raise typer.Exit(EXIT_DOES_NOT_FIT)
