"""JSON API: Preview/Confirm (sync rules P3, P4) and "needs attention" (held, dead letters,
duplicates)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from ccsync.errors import SyncError
from ccsync.store.repos.held import list_attention, list_held
from ccsync.store.repos.retry import list_retries
from ccsync.web import ops
from ccsync.web.audit import audit
from ccsync.web.deps import AttentionDep, ConnectorDep, DeadLetterDep, HeldDep, get_ctx
from ccsync.web.routes.api_common import ERRORS
from ccsync.web.schemas import (
    AttentionOut,
    Counts,
    DeadLetterOut,
    EnqueueOut,
    HeldOut,
    LinkIn,
    Message,
    PreviewOut,
)

router = APIRouter(tags=["operations"], responses=ERRORS)


@router.post("/connectors/{connector_id}/preview", response_model=PreviewOut)
def preview(request: Request, row: ConnectorDep) -> PreviewOut:
    """Plan a run without writing anything."""
    view = ops.run_preview(get_ctx(request), row.id)
    return PreviewOut(
        status=view.status,
        summary={side: Counts(**c) for side, c in view.summary.items()},
        matching=view.matching,
        actions=view.items,
        error=view.error,
    )


@router.post("/connectors/{connector_id}/confirm", response_model=EnqueueOut, status_code=202)
def confirm(request: Request, row: ConnectorDep) -> EnqueueOut:
    """Confirm a first run that stopped at its Preview (runs in the background)."""
    result = get_ctx(request).backend.enqueue_sync(row.id, "confirm", confirm=True)
    return EnqueueOut(status=result.status, message=result.message)


@router.get("/connectors/{connector_id}/held", response_model=list[HeldOut])
def held(request: Request, row: ConnectorDep) -> list[HeldOut]:
    """Actions held by the circuit breaker."""
    with get_ctx(request).sessions() as session:
        rows = list_held(session, row.id)
    return [
        HeldOut(
            id=h.id, side=h.side, action=h.action, crm_id=h.crm_id, cc_id=h.cc_id, held_at=h.held_at
        )
        for h in rows
    ]


@router.get("/connectors/{connector_id}/dead", response_model=list[DeadLetterOut])
def dead(request: Request, row: ConnectorDep) -> list[DeadLetterOut]:
    """Dead letters (writes that failed too often)."""
    with get_ctx(request).sessions() as session:
        rows = list_retries(session, row.id, dead=True)
    return [
        DeadLetterOut(
            id=d.id,
            side=d.side,
            source_side=d.source_side,
            record_id=d.record_id,
            attempts=d.attempts,
            last_error=d.last_error,
        )  # fmt: skip
        for d in rows
    ]


@router.post("/connectors/{connector_id}/dead/{entry_id}/retry", response_model=Message)
def retry_dead(request: Request, row: HeldDep, entry: DeadLetterDep) -> Message:
    """ "Retry now" (admins): the dead letter is retried on the next run."""
    if not ops.retry_dead(get_ctx(request), row.id, entry.id):
        raise HTTPException(404, "No such dead letter.")
    audit(request, "dead_letter_retry", target=f"connector {row.id}", detail=f"entry {entry.id}")
    return Message(message="The record will be retried on the next run.")


@router.get("/connectors/{connector_id}/attention", response_model=list[AttentionOut])
def attention(request: Request, row: ConnectorDep) -> list[AttentionOut]:
    """Ambiguous duplicates waiting for "link this one"."""
    with get_ctx(request).sessions() as session:
        rows = list_attention(session, row.id)
    return [
        AttentionOut(id=a.id, kind=a.kind, email=a.email, candidates=list(a.candidates))
        for a in rows
    ]


@router.post("/connectors/{connector_id}/held/confirm", response_model=Message)
def held_confirm(request: Request, row: HeldDep) -> Message:
    """Confirm the held actions (admins; each record checked again, then applied)."""
    message = ops.resolve_held(get_ctx(request), row.id, confirm=True)
    audit(request, "held_confirmed", target=f"connector {row.id}", detail=message)
    return Message(message=message)


@router.post("/connectors/{connector_id}/held/discard", response_model=Message)
def held_discard(request: Request, row: HeldDep) -> Message:
    """Discard the held actions (admins; the pairs stay)."""
    message = ops.resolve_held(get_ctx(request), row.id, confirm=False)
    audit(request, "held_discarded", target=f"connector {row.id}", detail=message)
    return Message(message=message)


@router.post("/connectors/{connector_id}/attention/{attention_id}/link", response_model=Message)
def link_this_one(request: Request, row: ConnectorDep, item: AttentionDep, body: LinkIn) -> Message:
    """ "Link this one": pair the chosen CRM duplicate with the CC contact of that email."""
    try:
        message = ops.link_this_one(get_ctx(request), row, item.id, body.crm_id)
    except LookupError:
        raise HTTPException(404, "No such item.") from None
    except SyncError as exc:
        return Message(ok=False, message=f"Constant Contact could not be searched: {exc}")
    audit(request, "duplicate_linked", target=f"connector {row.id}", detail=message)
    return Message(message=message)
