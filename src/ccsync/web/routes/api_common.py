"""Shared pieces of the JSON API: error responses in the OpenAPI document, converters."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ccsync.web.schemas import ConnectorOut, Counts, RunOut
from ccsync.web.views import ConnectorView, RunView


class ErrorOut(BaseModel):
    """An error answer."""

    detail: Any


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Invalid values"},
    401: {"model": ErrorOut, "description": "Not signed in"},
    403: {"model": ErrorOut, "description": "Not allowed (role, CSRF or first password)"},
    404: {"model": ErrorOut, "description": "Unknown connector, run or entry"},
    409: {"model": ErrorOut, "description": "The name is taken"},
}


def connector_out(v: ConnectorView) -> ConnectorOut:
    """The API view of a Sync window line."""
    return ConnectorOut(
        id=v.id,
        name=v.name,
        owner_id=v.owner_id,
        owner_name=v.owner_name,
        state=v.state,
        state_label=v.state_label,
        account=v.account,
        running=v.running,
        pending=v.pending,
        stage=v.stage,
        done=v.done,
        total=v.total,
        last_run=v.last_run,
        last_status=v.last_status,
        configured=v.configured,
    )


def run_out(r: RunView) -> RunOut:
    """The API view of a run."""
    return RunOut(
        id=r.id,
        trigger=r.trigger,
        status=r.status,
        started_at=r.started_at,
        ended_at=r.ended_at,
        local_date=r.date,
        local_time=r.time,
        cc=Counts(**r.counts["cc"]),
        crm=Counts(**r.counts["crm"]),
        calls=r.calls,
        error=r.error,
        first_run=r.first_run,
        preview_required=r.preview_required,
    )
