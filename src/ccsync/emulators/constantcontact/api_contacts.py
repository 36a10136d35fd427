"""``/v3/contacts``: the collection, one contact, sign-up form and resubscribe."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from ccsync.emulators.constantcontact import contacts as ops
from ccsync.emulators.constantcontact import signup
from ccsync.emulators.constantcontact.query import (
    INCLUDES_ALL,
    ContactQuery,
    QueryError,
    csv_values,
    decode_cursor,
    encode_cursor,
)
from ccsync.emulators.constantcontact.runtime import (
    ApiError,
    Ctx,
    api_context,
    bad_request,
    contact_or_404,
    errors,
    json_body,
    mutated,
)
from ccsync.emulators.constantcontact.state import Account, Record
from ccsync.emulators.constantcontact.validation import check_contact_body, check_id_list

router = APIRouter(prefix="/v3")
ALL = frozenset(INCLUDES_ALL)


def conflict(contact_id: str) -> ApiError:
    """The 409 CC answers when an email already belongs to a contact."""
    return errors(
        409,
        "contacts.api.conflict",
        f"Validation failed: Email already exists for contact {contact_id}",
    )


@router.get("/contacts")
def list_contacts(request: Request, ctx: Ctx = Depends(api_context)) -> JSONResponse:
    """``getContacts``: filters, ``include``, ``include_count`` and cursor paging."""
    params = dict(request.query_params)
    offset = 0
    try:
        if "cursor" in params:
            params, offset = decode_cursor(params["cursor"])
        query = ContactQuery(params, ctx.state.config)
    except QueryError as exc:
        raise bad_request(str(exc)) from exc
    with ctx.state.lock:
        account = ctx.account
        key = ("contacts", account.number, query.cache_key())
        matching = ctx.state.cached(key, lambda: query.matching(account.contacts.values()))
        chunk, total, more = query.page(matching, offset)
        body: Record = {"contacts": [ops.serialize(c, query.include) for c in chunk]}
    if query.include_count:
        body["contacts_count"] = total
    if more:
        cursor = encode_cursor(query.params, offset + query.limit)
        body["_links"] = {"next": {"href": f"/v3/contacts?cursor={cursor}"}}
    return JSONResponse(body)


@router.post("/contacts")
async def create_contact(request: Request, ctx: Ctx = Depends(api_context)) -> JSONResponse:
    """``createContact``: 201, or 409 when the email exists (deleted/unsubscribed too)."""
    body = await json_body(request)
    state, account = ctx.state, ctx.account
    with state.lock:
        _check(account, body, put=False)
        existing = account.contact_by_email(body["email_address"]["address"])
        if existing is not None:
            raise conflict(existing["contact_id"])
        contact = ops.create_contact(account, body, state.now(), state.config)
        mutated(state)
        return JSONResponse(ops.serialize(contact, ALL), status_code=201)


def _check(account: Account, body: Any, *, put: bool) -> None:
    problems = check_contact_body(
        body, put=put, list_ids=account.live_lists(), field_ids=set(account.custom_fields)
    )
    if problems:
        raise bad_request(*problems)
    if not put and not isinstance(body.get("email_address"), dict):
        raise bad_request("email_address is required (SMS-only contacts are not emulated)")


@router.get("/contacts/{contact_id}")
def get_contact(contact_id: str, request: Request, ctx: Ctx = Depends(api_context)) -> Any:
    """``getContact``: deleted contacts are still returned."""
    try:
        include = set(csv_values("include", request.query_params.get("include"), INCLUDES_ALL))
    except QueryError as exc:
        raise bad_request(str(exc)) from exc
    with ctx.state.lock:
        return ops.serialize(contact_or_404(ctx.account, contact_id), include)


@router.put("/contacts/{contact_id}")
async def put_contact(contact_id: str, request: Request, ctx: Ctx = Depends(api_context)) -> Any:
    """``putContact``: core fields replaced, sub-resources kept unless sent."""
    body = await json_body(request)
    state, account = ctx.state, ctx.account
    with state.lock:
        contact = contact_or_404(account, contact_id)
        _check(account, body, put=True)
        owner = account.contact_by_email(body["email_address"]["address"])
        if owner is not None and owner is not contact:
            raise conflict(owner["contact_id"])
        try:
            ops.put_contact(account, contact, body, state.now(), state.config)
        except ops.ContactRefused as exc:
            raise bad_request(str(exc)) from exc
        mutated(state)
        return ops.serialize(contact, ALL)


@router.delete("/contacts/{contact_id}")
def delete_contact(contact_id: str, ctx: Ctx = Depends(api_context)) -> Response:
    """``deleteContact``: soft delete, 204."""
    state = ctx.state
    with state.lock:
        contact = contact_or_404(ctx.account, contact_id)
        if contact.get("deleted_at"):
            if state.config.redelete == 404:
                raise errors(404, "contacts.api.not_found", "The contact is already deleted.")
            return Response(status_code=204)
        ops.soft_delete(contact, state.now(), state.config)
        mutated(state)
    return Response(status_code=204)


@router.post("/contacts/sign_up_form")
async def sign_up_form(request: Request, ctx: Ctx = Depends(api_context)) -> JSONResponse:
    """``createOrUpdateContact``: partial upsert by email that forces ``explicit``."""
    body = await json_body(request)
    state, account = ctx.state, ctx.account
    with state.lock:
        problems = signup.check(account, body)
        if problems:
            raise bad_request(*problems)
        contact_id, created = signup.upsert(account, body, state.now(), state.config)
        mutated(state)
    action = "created" if created else "updated"
    return JSONResponse(
        {"contact_id": contact_id, "action": action}, status_code=201 if created else 200
    )


@router.put("/contacts/resubscribe/{contact_id}")
async def resubscribe(contact_id: str, request: Request, ctx: Ctx = Depends(api_context)) -> Any:
    """``resubscribeContact``: sends the one confirmation email CC allows per contact."""
    body = await json_body(request)
    account = ctx.account
    with ctx.state.lock:
        contact = contact_or_404(account, contact_id)
        problems: list[str] = []
        raw = body.get("list_ids") if isinstance(body, dict) else None
        list_ids = check_id_list(problems, "list_ids", raw, 50, minimum=1)
        live = account.live_lists()
        problems += [f"Unknown list_id {i[:60]}" for i in list_ids if i not in live]
        if not ops.is_unsubscribed(contact):
            problems.append("The contact is not unsubscribed")
        if problems:
            raise bad_request(*problems)
        if contact_id in account.resubscribe_sent:
            raise errors(
                409, "contacts.api.conflict", "A resubscribe email was already sent to this contact"
            )
        account.resubscribe_sent[contact_id] = list_ids
        mutated(ctx.state)
    return Response(status_code=200)
