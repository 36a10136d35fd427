"""``/v3/contact_lists``, ``/v3/contact_custom_fields`` and ``/v3/account/summary``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from ccsync.emulators.constantcontact import activities, bulk
from ccsync.emulators.constantcontact.query import QueryError, parse_bool, parse_limit
from ccsync.emulators.constantcontact.runtime import (
    Ctx,
    account_context,
    api_context,
    bad_request,
    errors,
    json_body,
    mutated,
)
from ccsync.emulators.constantcontact.state import Account, Record, new_id
from ccsync.emulators.constantcontact.validation import check_string

router = APIRouter(prefix="/v3")
LIST_KEYS = ("list_id", "name", "favorite", "created_at", "updated_at")
FIELD_TYPES = ("string", "date", "number", "currency", "boolean", "single_select", "multi_select")
MAX_FIELDS = 100


def _list_view(account: Account, record: Record, counts: bool) -> Record:
    out = {k: record[k] for k in LIST_KEYS if record.get(k) is not None}
    if record.get("deleted_at"):
        out["deleted_at"] = record["deleted_at"]
    if counts:
        out["membership_count"] = sum(
            1 for c in account.contacts.values() if record["list_id"] in c["list_memberships"]
        )
    return out


def _query(request: Request, maximum: int) -> tuple[int, bool]:
    try:
        limit = parse_limit(request.query_params.get("limit"), maximum=maximum)
        count = parse_bool("include_count", request.query_params.get("include_count"))
    except QueryError as exc:
        raise bad_request(str(exc)) from exc
    return limit, count


@router.get("/contact_lists")
def get_lists(request: Request, ctx: Ctx = Depends(api_context)) -> Record:
    """``getLists`` (one page: accounts hold far fewer lists than the limit)."""
    limit, include_count = _query(request, 1000)
    counts = request.query_params.get("include_membership_count") in ("all", "active")
    name = request.query_params.get("name")
    with ctx.state.lock:
        records = [r for r in ctx.account.lists.values() if not r.get("deleted_at")]
        if name is not None:
            records = [r for r in records if r["name"] == name]
        body: Record = {"lists": [_list_view(ctx.account, r, counts) for r in records[:limit]]}
    if include_count:
        body["lists_count"] = len(records)
    return body


def _list_body(body: Any, account: Account, current: str | None) -> tuple[str, bool, str | None]:
    problems: list[str] = []
    if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"]:
        raise bad_request("name is required")
    check_string(problems, "name", body["name"], 255)
    check_string(problems, "description", body.get("description"), 255)
    if not isinstance(body.get("favorite", False), bool):
        problems.append("favorite must be a boolean")
    if problems:
        raise bad_request(*problems)
    for other in account.lists.values():
        if other["name"] == body["name"] and other["list_id"] != current:
            raise errors(409, "contacts.api.conflict", "A list with this name already exists")
    return body["name"], bool(body.get("favorite", False)), body.get("description")


@router.post("/contact_lists", status_code=201)
async def create_list(request: Request, ctx: Ctx = Depends(api_context)) -> Record:
    """``createList``: 201, 409 on a duplicate name."""
    body = await json_body(request)
    with ctx.state.lock:
        name, favorite, description = _list_body(body, ctx.account, None)
        now = ctx.state.now()
        record: Record = {"list_id": new_id(), "name": name, "favorite": favorite}
        record.update(description=description, created_at=now, updated_at=now)
        ctx.account.lists[record["list_id"]] = record
        mutated(ctx.state)
        return _list_view(ctx.account, record, False)


def _list_or_404(account: Account, list_id: str) -> Record:
    record = account.lists.get(list_id)
    if record is None or record.get("deleted_at"):
        raise errors(404, "contacts.api.not_found", "The list was not found.")
    return record


@router.get("/contact_lists/{list_id}")
def get_list(list_id: str, request: Request, ctx: Ctx = Depends(api_context)) -> Record:
    """``getList``."""
    counts = request.query_params.get("include_membership_count") in ("all", "active")
    with ctx.state.lock:
        return _list_view(ctx.account, _list_or_404(ctx.account, list_id), counts)


@router.put("/contact_lists/{list_id}")
async def put_list(list_id: str, request: Request, ctx: Ctx = Depends(api_context)) -> Record:
    """``putList``."""
    body = await json_body(request)
    with ctx.state.lock:
        record = _list_or_404(ctx.account, list_id)
        name, favorite, description = _list_body(body, ctx.account, list_id)
        record.update(name=name, favorite=favorite, description=description)
        record["updated_at"] = ctx.state.now()
        mutated(ctx.state)
        return _list_view(ctx.account, record, False)


@router.delete("/contact_lists/{list_id}")
def delete_list(list_id: str, ctx: Ctx = Depends(api_context)) -> JSONResponse:
    """``deleteListActivity``: 202, an activity, and a ``Location`` header."""
    state = ctx.state
    with state.lock:
        record = _list_or_404(ctx.account, list_id)
        record["deleted_at"] = state.now()
        members = [c for c in ctx.account.contacts.values() if list_id in c["list_memberships"]]
        payload = {"source_lists": [list_id], "list_ids": [list_id]}
        activity = activities.enqueue(state, ctx.account, "remove_lists", len(members), payload)
        view = activities.view(activity, state.clock.time())
        mutated(state)
    keys = ("activity_id", "state", "created_at", "updated_at", "percent_done")
    body = {k: view[k] for k in keys} | {"activity_errors": [], "_links": view["_links"]}
    href = view["_links"]["self"]["href"]
    return JSONResponse(body, status_code=202, headers={"Location": href})


def _field_view(record: Record) -> Record:
    return {k: v for k, v in record.items() if v is not None}


@router.get("/contact_custom_fields")
def get_fields(request: Request, ctx: Ctx = Depends(api_context)) -> Record:
    """``getCustomFields``."""
    limit, _ = _query(request, 100)
    with ctx.state.lock:
        records = list(ctx.account.custom_fields.values())[:limit]
        return {"custom_fields": [_field_view(r) for r in records]}


def _field_body(body: Any, account: Account, current: str | None) -> tuple[str, str]:
    if not isinstance(body, dict) or not isinstance(body.get("label"), str) or not body["label"]:
        raise bad_request("label is required")
    problems: list[str] = []
    check_string(problems, "label", body["label"], 50)
    kind = body.get("type", "string") if current is None else "string"
    if kind not in FIELD_TYPES:
        problems.append(f"type does not have a valid value; allowed: {', '.join(FIELD_TYPES)}")
    if problems:
        raise bad_request(*problems)
    name = body["label"].replace(" ", "_")
    for other in account.custom_fields.values():
        if other["name"].lower() == name.lower() and other["custom_field_id"] != current:
            raise errors(409, "contacts.api.conflict", "A custom field with this name exists")
    return body["label"], str(kind)


@router.post("/contact_custom_fields", status_code=201)
async def create_field(request: Request, ctx: Ctx = Depends(api_context)) -> Record:
    """``postCustomFields``: at most 100 per account."""
    body = await json_body(request)
    account = ctx.account
    with ctx.state.lock:
        label, kind = _field_body(body, account, None)
        if len(account.custom_fields) >= MAX_FIELDS:
            raise bad_request("An account can have at most 100 custom fields")
        now = ctx.state.now()
        record: Record = {"custom_field_id": new_id(), "label": label}
        record["name"] = label.replace(" ", "_")
        record.update(type=kind, version=1, created_at=now, updated_at=now)
        account.custom_fields[record["custom_field_id"]] = record
        mutated(ctx.state)
        return _field_view(record)


def _field_or_404(account: Account, field_id: str) -> Record:
    record = account.custom_fields.get(field_id)
    if record is None:
        raise errors(404, "contacts.api.not_found", "The custom field was not found.")
    return record


@router.get("/contact_custom_fields/{custom_field_id}")
def get_field(custom_field_id: str, ctx: Ctx = Depends(api_context)) -> Record:
    """``getCustomField``."""
    with ctx.state.lock:
        return _field_view(_field_or_404(ctx.account, custom_field_id))


@router.put("/contact_custom_fields/{custom_field_id}")
async def put_field(custom_field_id: str, request: Request, ctx: Ctx = Depends(api_context)) -> Any:
    """``putCustomField``: relabels (the name follows the label)."""
    body = await json_body(request)
    with ctx.state.lock:
        record = _field_or_404(ctx.account, custom_field_id)
        label, _ = _field_body(body, ctx.account, custom_field_id)
        record.update(label=label, name=label.replace(" ", "_"), updated_at=ctx.state.now())
        record["version"] = int(record.get("version") or 1) + 1
        mutated(ctx.state)
        return _field_view(record)


@router.delete("/contact_custom_fields/{custom_field_id}")
def delete_field(custom_field_id: str, ctx: Ctx = Depends(api_context)) -> Response:
    """``deleteCustomField``: 204; values on contacts go too."""
    with ctx.state.lock:
        _field_or_404(ctx.account, custom_field_id)
        bulk.delete_custom_field(ctx.account, custom_field_id)
        mutated(ctx.state)
    return Response(status_code=204)


@router.get("/account/summary")
def account_summary(ctx: Ctx = Depends(account_context)) -> Record:
    """``getAccountById``: the account identity (``encoded_account_id``)."""
    account = ctx.account
    return {
        "encoded_account_id": account.account_id,
        "contact_email": account.login,
        "first_name": "Owner",
        "last_name": f"Number {account.number}",
        "organization_name": f"Emulated Account {account.number}",
        "country_code": "US",
        "state_code": "MA",
        "time_zone_id": "US/Eastern",
    }
