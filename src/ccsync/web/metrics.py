"""Prometheus text exposition of the store's run history (no client library needed for 3 gauges).

Numbers are read from the database on each scrape, so they hold across processes and restarts.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy.orm import Session, sessionmaker

from ccsync.store.repos.connectors import list_connectors
from ccsync.store.repos.runs import list_runs

RECENT_RUNS = 1000


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render_metrics(sessions: sessionmaker[Session]) -> str:
    """The metrics page: ``ccsync_runs_total``, ``ccsync_records_total``, last run times."""
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
    return "".join(_lines(runs, records, last))


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
