"""Prometheus text exposition of the store's run history (no client library needed for 3 gauges).

Numbers are read from the database on each scrape, so they hold across processes and restarts.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from ccsync.jobs.budget import KeyBudget, budget_report
from ccsync.store.repos.connectors import list_connectors
from ccsync.store.repos.runs import list_runs
from ccsync.store.workers import WorkerRow, list_workers

RECENT_RUNS = 1000


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render_metrics(sessions: sessionmaker[Session], stalled_after: float = 30.0) -> str:
    """The metrics page: runs, records and last run time per connector; API calls today per
    connector and side, and the budget left per CC application; runs, failures and liveness
    per ``ccsync worker``."""
    runs: Counter[tuple[str, str]] = Counter()
    records: Counter[tuple[str, str, str]] = Counter()
    last: dict[str, float] = {}
    with sessions() as session:
        for connector in list_connectors(session):
            for run in list_runs(session, connector.id, limit=RECENT_RUNS):
                if run.status == "preview":
                    continue  # planned, nothing applied: not a run in the metrics
                runs[(connector.name, run.status)] += 1
                for side, actions in run.counts.items():
                    for action, n in (actions or {}).items():
                        if isinstance(n, int):
                            records[(connector.name, side, action)] += n
                if connector.name not in last:
                    last[connector.name] = run.started_at.timestamp()
    now = datetime.now(UTC)
    budget = budget_lines(budget_report(sessions, now))
    workers = worker_lines(list_workers(sessions), stalled_after, now)
    return "".join([*_lines(runs, records, last), *budget, *workers])


def budget_lines(keys: list[KeyBudget]) -> list[str]:
    """``ccsync_api_calls_today`` per connector and side, budget left per application."""
    out = [
        "# HELP ccsync_api_calls_today Remote calls of the runs started today (UTC).\n",
        "# TYPE ccsync_api_calls_today gauge\n",
    ]
    for key in keys:
        for c in key.connectors:
            for side in ("cc", "crm"):
                labels = f'connector="{_escape(c.name)}",side="{side}"'
                out.append(f"ccsync_api_calls_today{{{labels}}} {c.calls_today[side]}\n")
    out += [
        "# HELP ccsync_api_budget_left Constant Contact calls left today per application.\n",
        "# TYPE ccsync_api_budget_left gauge\n",
    ]
    for key in keys:
        out.append(f'ccsync_api_budget_left{{application="{_escape(key.client_id)}"}} {key.left}\n')
    return out


def worker_lines(workers: list[WorkerRow], stalled_after: float, now: datetime) -> list[str]:
    """Runs, failed runs and liveness per ``ccsync worker`` (live ones and those seen today)."""
    seen = [w for w in workers if w.alive(stalled_after, now) or w.last_seen.date() == now.date()]
    out = [
        "# HELP ccsync_worker_runs_total Runs done by each worker process.\n",
        "# TYPE ccsync_worker_runs_total counter\n",
    ]
    out += [f'ccsync_worker_runs_total{{worker="{_escape(w.name)}"}} {w.runs}\n' for w in seen]
    out += [
        "# HELP ccsync_worker_failures_total Failed runs of each worker process.\n",
        "# TYPE ccsync_worker_failures_total counter\n",
    ]
    out += [
        f'ccsync_worker_failures_total{{worker="{_escape(w.name)}"}} {w.failures}\n' for w in seen
    ]
    out += [
        "# HELP ccsync_worker_up Whether a worker process beats (1) or stopped (0).\n",
        "# TYPE ccsync_worker_up gauge\n",
    ]
    out += [
        f'ccsync_worker_up{{worker="{_escape(w.name)}"}} {int(w.alive(stalled_after, now))}\n'
        for w in seen
    ]
    return out


def _lines(
    runs: Counter[tuple[str, str]],
    records: Counter[tuple[str, str, str]],
    last: dict[str, float],
) -> list[str]:
    out = [
        "# HELP ccsync_runs_total Sync runs by connector and final status.\n",
        "# TYPE ccsync_runs_total counter\n",
    ]
    for (name, status), n in sorted(runs.items()):
        out.append(f'ccsync_runs_total{{connector="{_escape(name)}",status="{status}"}} {n}\n')
    out += [
        "# HELP ccsync_records_total Records by connector, target side and action.\n",
        "# TYPE ccsync_records_total counter\n",
    ]
    for (name, side, action), n in sorted(records.items()):
        labels = f'connector="{_escape(name)}",side="{side}",action="{action}"'
        out.append(f"ccsync_records_total{{{labels}}} {n}\n")
    out += [
        "# HELP ccsync_last_run_timestamp_seconds Start of the latest run per connector.\n",
        "# TYPE ccsync_last_run_timestamp_seconds gauge\n",
    ]
    for name, ts in sorted(last.items()):
        out.append(f'ccsync_last_run_timestamp_seconds{{connector="{_escape(name)}"}} {ts}\n')
    return out
