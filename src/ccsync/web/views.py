"""View models: what the templates and the JSON API show of a connector, a run, an item.

Built from the store's plain rows plus the live run state of the job backend, so templates never
see ORM objects or secrets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ccsync.connectors.constantcontact.settings import CCConfig
from ccsync.engine.config import ConnectorConfig, load_config
from ccsync.engine.result import empty_counts
from ccsync.jobs.backend import RunState
from ccsync.runlog import aware_utc, shown_diff, source_module
from ccsync.store.repos.rows import ConnectorRow, RunItemRow, RunRow
from ccsync.web.templating import local_time

STATE_LABELS = {
    "not_configured": "Not configured",
    "needs_sign_in": "Needs sign-in",
    "connected": "Connected",
    "syncing": "Syncing",
    "reconnect_needed": "Reconnect needed",
    "crm_auth": "Vtiger refused the access key — fix it in Settings",
    "paused": "Paused by the circuit breaker",
    "quota": "Quota exhausted",
}
RUNNABLE = ("connected", "paused", "quota", "crm_auth")
SIDE_TITLES = {"cc": "Constant Contact", "crm": "Vtiger CRM"}
# The connector setting that keeps the signed-in account's name and email (from its summary).


@dataclass(frozen=True, slots=True)
class ConnectorView:
    """One line of the Sync window (and the status fragment)."""

    id: int
    name: str
    owner_id: int
    owner_name: str
    state: str
    state_label: str
    message: str
    account: str
    running: bool
    pending: bool
    stage: str
    done: int
    total: int
    percent: int
    last_run: str
    last_status: str
    configured: bool
    can_sign_in: bool
    can_sync: bool
    held: str = ""
    next_run: str = ""


def connector_state(row: ConnectorRow, live: RunState, zone: str) -> tuple[str, str]:
    """The state key and its label, e.g. ``("quota", "Quota exhausted until 00:00")``."""
    if live.running:
        return "syncing", STATE_LABELS["syncing"]
    state = row.status
    label = STATE_LABELS.get(state, state)
    if state == "quota" and row.paused_until is not None:
        label = f"Quota exhausted until {local_time(row.paused_until, zone, '%H:%M')}"
    return state, label


def account_shown(row: ConnectorRow) -> str:
    """The signed-in CC account as a person knows it (name and email), else its id."""
    cc = load_config(row).cc
    label = cc.account_label if isinstance(cc, CCConfig) else ""
    return label if label and row.cc_account_id else row.cc_account_id or ""


def is_configured(row: ConnectorRow) -> bool:
    """Whether the OAuth application settings are filled in (Client ID and secret)."""
    cc = load_config(row).cc
    return isinstance(cc, CCConfig) and bool(cc.client_id and row.client_secret)


def connector_view(
    row: ConnectorRow,
    owner_name: str,
    live: RunState,
    zone: str,
    last: RunRow | None,
    held: str = "",
    *,
    next_run: str = "",
) -> ConnectorView:
    """The Sync window's view of ``row``."""
    state, label = connector_state(row, live, zone)
    return ConnectorView(
        id=row.id,
        name=row.name,
        owner_id=row.owner_id,
        owner_name=owner_name,
        state=state,
        state_label=label,
        message=_message(row, live),
        account=account_shown(row),
        running=live.running,
        pending=live.pending,
        stage=live.stage,
        done=live.done,
        total=live.total,
        percent=live.percent,
        last_run=local_time(last.started_at, zone) if last else "",
        last_status=last.status if last else "",
        configured=is_configured(row),
        can_sign_in=True,
        can_sync=row.status in RUNNABLE or live.running,
        held=held,
        next_run=next_run,
    )


def _message(row: ConnectorRow, live: RunState) -> str:
    if live.last_error and not live.running:
        return f"Last run: {live.last_status} — {live.last_error}"
    if live.last_status == "preview" and not live.running:
        return "Last run: a Preview (planned, nothing written)"
    if live.last_status and not live.running:
        return f"Last run: {live.last_status}"
    return row.status_detail or ""


@dataclass(frozen=True, slots=True)
class RunView:
    """One run as the Sync Log lists it."""

    id: int
    date: str
    time: str
    trigger: str
    status: str
    counts: dict[str, dict[str, int]]
    conflicts: dict[str, int]
    error: str
    started_at: datetime
    ended_at: datetime | None
    calls: dict[str, int]
    first_run: bool
    preview_required: bool

    @property
    def planned(self) -> bool:
        """A preview (asked for, or a first run stopped at it): planned, nothing applied."""
        return self.status == "preview"

    @property
    def status_label(self) -> str:
        """The status as the Sync Log says it."""
        return "Preview (planned, not applied)" if self.planned else self.status


def normal_counts(raw: dict[str, Any]) -> dict[str, dict[str, int]]:
    """The run's counts with every side and action present (missing ones are 0)."""
    counts = empty_counts()
    for side, actions in raw.items():
        if side in counts and isinstance(actions, dict):
            for action, value in actions.items():
                if action in counts[side] and isinstance(value, int):
                    counts[side][action] = value
    return counts


def run_view(run: RunRow, zone: str, conflicts: dict[str, int] | None = None) -> RunView:
    """``run`` with its start shown in the viewer's zone."""
    calls = {k: int(v) for k, v in run.calls.items() if isinstance(v, int)}
    return RunView(
        id=run.id,
        date=local_time(run.started_at, zone, "%Y-%m-%d"),
        time=local_time(run.started_at, zone, "%H:%M:%S"),
        trigger=run.trigger,
        status=run.status,
        counts=normal_counts(run.counts),
        conflicts=conflicts or {},
        error=run.error or "",
        started_at=run.started_at,
        ended_at=run.ended_at,
        calls=calls,
        first_run=run.first_run,
        preview_required=run.preview_required,
    )


@dataclass(frozen=True, slots=True)
class ItemView:
    """One record of a drill-down (and one CSV row)."""

    id: int
    side: str
    action: str
    source_module: str
    record_name: str
    crm_id: str
    cc_id: str
    crm_url: str
    cc_url: str
    reason: str
    message: str
    diff: dict[str, Any]
    conflict: dict[str, Any]
    at: datetime

    @property
    def shown_name(self) -> str:
        """The name to show: the record's, else what is known of it (never "(no name)" for a
        deleted record: its id and "deleted")."""
        if self.record_name:
            return self.record_name
        if self.action == "deleted":
            record_id = (self.cc_id if self.side == "cc" else self.crm_id) or self.crm_id
            return f"{record_id or 'Record'} (deleted; name unknown)"
        return "(no name)"


def item_view(item: RunItemRow, config: ConnectorConfig) -> ItemView:
    """A run item with links to both records."""
    return ItemView(
        id=item.id,
        side=item.side,
        action=item.action,
        source_module=source_module(item.side),
        record_name=item.record_name or "",
        crm_id=item.crm_id or "",
        cc_id=item.cc_id or "",
        crm_url=config.crm.record_url(item.crm_id),
        cc_url=config.cc.record_url(item.cc_id),
        reason=item.reason or "",
        message=item.message or "",
        diff=shown_diff(item.diff),
        conflict=dict(item.conflict or {}),
        at=aware_utc(item.created_at),
    )
