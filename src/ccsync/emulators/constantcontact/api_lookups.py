"""Contract paths that share a prefix with the ``{contact_id}`` and ``{list_id}`` routes.

This router is included before the id routes, so ``/v3/contacts/counts`` is the counts
operation and never a contact id (the bug a third-party client found).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Depends, Request

from ccsync.emulators.constantcontact.query import QueryError, csv_values
from ccsync.emulators.constantcontact.runtime import (
    Ctx,
    api_context,
    bad_request,
    contact_or_404,
)
from ccsync.emulators.constantcontact.state import Record, stamp

router = APIRouter(prefix="/v3")
NEW_SUBSCRIBER_DAYS = 30
MAX_SEQUENCE_IDS = 500
PERMISSION_COUNTS = {
    "explicit": "explicit",
    "implicit": "implicit",
    "pending_confirmation": "pending",
    "unsubscribed": "unsubscribed",
}


@router.get("/contacts/counts")
def count_contacts(request: Request, ctx: Ctx = Depends(api_context)) -> Record:
    """``countContact``: contacts that are not deleted, by email consent state.

    ``include=new_subscriber`` adds those whose opt-in lies within the last 30 days (emulator
    clock) and who are still subscribed.
    """
    try:
        include = csv_values("include", request.query_params.get("include"), ("new_subscriber",))
    except QueryError as exc:
        raise bad_request(str(exc)) from exc
    now = datetime.fromisoformat(ctx.state.now().replace("Z", "+00:00"))
    since = stamp((now - timedelta(days=NEW_SUBSCRIBER_DAYS)).timestamp())
    body: Record = {"total": 0, "explicit": 0, "implicit": 0, "pending": 0, "unsubscribed": 0}
    new = 0
    with ctx.state.lock:
        for contact in ctx.account.contacts.values():
            if contact.get("deleted_at"):
                continue
            body["total"] += 1
            email = contact["email_address"]
            key = PERMISSION_COUNTS.get(str(email.get("permission_to_send")))
            if key is not None:
                body[key] += 1
            if key in ("explicit", "implicit") and str(email.get("opt_in_date") or "") >= since:
                new += 1
    if include:
        body["new_subscriber"] = new
    return body


def _sequence_ids(request: Request) -> list[str]:
    raw = request.query_params.get("sequence_ids")
    ids = [i for i in (raw or "").split(",") if i.strip()]
    if not ids:
        raise bad_request("sequence_ids is required")
    if len(ids) > MAX_SEQUENCE_IDS:
        raise bad_request(f"sequence_ids accepts at most {MAX_SEQUENCE_IDS} ids")
    if not all(i.strip().isdigit() for i in ids):
        raise bad_request("sequence_ids must be V2 numeric ids")
    return ids


@router.get("/contacts/contact_id_xrefs")
def contact_xrefs(request: Request, ctx: Ctx = Depends(api_context)) -> Record:
    """``getContactIdXrefs``: emulated accounts were never on the V2 API, so nothing maps."""
    _sequence_ids(request)
    return {"xrefs": []}


@router.get("/contact_lists/list_id_xrefs")
def list_xrefs(request: Request, ctx: Ctx = Depends(api_context)) -> Record:
    """``getListIdXrefs``: as for contacts, no V2 list ids exist in an emulated account."""
    _sequence_ids(request)
    return {"xrefs": []}


@router.get("/contacts/sms_engagement_history/{contact_id}")
def sms_history(contact_id: str, ctx: Ctx = Depends(api_context)) -> list[Record]:
    """``getSmsEngagementHistory``: SMS is not emulated, so a known contact has no history."""
    with ctx.state.lock:
        contact_or_404(ctx.account, contact_id)
    return []
