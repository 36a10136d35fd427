"""``/_emulator/accounts/{n}/…``: the account owner working in the CC web app."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from ccsync.emulators.constantcontact import activities
from ccsync.emulators.constantcontact import contacts as ops
from ccsync.emulators.constantcontact.runtime import (
    ApiError,
    bad_request,
    contact_or_404,
    errors,
    json_body,
    runtime,
)
from ccsync.emulators.constantcontact.state import Account, EmulatorState, Record
from ccsync.emulators.constantcontact.validation import check_contact_body

owner_router = APIRouter(prefix="/accounts/{number}")
PATCHABLE_SUBRESOURCES = ("phone_numbers", "street_addresses", "custom_fields", "list_memberships")


def _account(request: Request, number: int) -> tuple[EmulatorState, Account]:
    state = runtime(request).state
    account = state.accounts.get(number)
    if account is None:
        raise ApiError(404, [{"error_key": "not_found", "error_message": "No such account"}])
    activities.run_due(state, account)
    return state, account


@owner_router.get("/contacts")
def all_contacts(number: int, request: Request) -> list[Record]:
    """Every contact of the account in full, deleted ones included (for invariant checks)."""
    state = runtime(request).state
    with state.lock:
        _, account = _account(request, number)
        return [ops.serialize(c, ops.SUBRESOURCES) for c in account.contacts.values()]


@owner_router.post("/contacts", status_code=201)
async def owner_creates(number: int, request: Request) -> Record:
    """The owner adds a contact by hand (``create_source`` Account)."""
    body = await json_body(request)
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object")
    body = {**body, "create_source": "Account"}
    state = runtime(request).state
    with state.lock:
        _, account = _account(request, number)
        problems = check_contact_body(
            body, put=False, list_ids=account.live_lists(), field_ids=set(account.custom_fields)
        )
        if problems or not isinstance(body.get("email_address"), dict):
            raise bad_request(*(problems or ["email_address is required"]))
        existing = account.contact_by_email(body["email_address"]["address"])
        if existing is not None:
            raise errors(
                409,
                "contacts.api.conflict",
                f"Validation failed: Email already exists for contact {existing['contact_id']}",
            )
        contact = ops.create_contact(account, body, state.now(), state.config)
        state.dirty = True
        return ops.serialize(contact, ops.SUBRESOURCES)


@owner_router.patch("/contacts/{contact_id}")
async def owner_edits(number: int, contact_id: str, request: Request) -> Record:
    """The owner edits some fields; everything not sent stays as it is."""
    body = await json_body(request)
    state = runtime(request).state
    with state.lock:
        _, account = _account(request, number)
        contact = contact_or_404(account, contact_id)
        merged = _merged_body(contact, body)
        problems = check_contact_body(
            merged, put=True, list_ids=account.live_lists(), field_ids=set(account.custom_fields)
        )
        if problems:
            raise bad_request(*problems)
        owner = account.contact_by_email(merged["email_address"]["address"])
        if owner is not None and owner is not contact:
            raise errors(409, "contacts.api.conflict", "Email already exists for another contact")
        _apply_patch(account, contact, merged, body, state)
        return ops.serialize(contact, ops.SUBRESOURCES)


def _merged_body(contact: Record, body: Any) -> Record:
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object")
    merged: Record = {k: contact.get(k) for k in ops.CORE_FIELDS}
    merged.update({k: v for k, v in body.items() if k in ops.CORE_FIELDS})
    email = body.get("email_address")
    address = email.get("address") if isinstance(email, dict) else None
    merged["email_address"] = {"address": address or contact["email_address"]["address"]}
    merged["update_source"] = "Account"
    for key in PATCHABLE_SUBRESOURCES:
        if key in body:
            merged[key] = body[key]
    return merged


def _apply_patch(
    account: Account, contact: Record, merged: Record, body: Record, state: EmulatorState
) -> None:
    now = state.now()
    old_address = contact["email_address"]["address"]
    if merged["email_address"]["address"] != old_address:
        contact["email_address"].update(address=merged["email_address"]["address"], updated_at=now)
        account.index_email(contact, old_address)
    for key in ops.CORE_FIELDS:
        contact[key] = merged.get(key)
    ops.set_subresources(
        contact, {k: body[k] for k in PATCHABLE_SUBRESOURCES if k in body}, now, state.config
    )
    contact.update(update_source="Account", updated_at=now)
    state.dirty = True


@owner_router.delete("/contacts/{contact_id}")
def owner_deletes(number: int, contact_id: str, request: Request) -> Response:
    """The owner deletes a contact (soft, like the API)."""
    state = runtime(request).state
    with state.lock:
        _, account = _account(request, number)
        contact = contact_or_404(account, contact_id)
        if not contact.get("deleted_at"):
            ops.soft_delete(contact, state.now(), state.config)
            state.dirty = True
    return Response(status_code=204)


@owner_router.post("/contacts/{contact_id}/unsubscribe")
def owner_unsubscribes(number: int, contact_id: str, request: Request) -> Record:
    """The owner unsubscribes a contact (``opt_out_source`` Account)."""
    state = runtime(request).state
    with state.lock:
        _, account = _account(request, number)
        contact = contact_or_404(account, contact_id)
        bump = state.config.optout_bumps_updated
        ops.unsubscribe(contact, "Account", "Unsubscribed by the account", state.now(), bump=bump)
        state.dirty = True
        return ops.serialize(contact, ops.SUBRESOURCES)
