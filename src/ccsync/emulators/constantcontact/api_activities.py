"""``/v3/activities/*`` and ``/v3/contact_exports/{id}``: accepting bulk work and reporting it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from ccsync.emulators.constantcontact import activities, import_rows
from ccsync.emulators.constantcontact.query import QueryError, parse_limit
from ccsync.emulators.constantcontact.runtime import (
    ApiError,
    Ctx,
    api_context,
    bad_request,
    errors,
    json_body,
    mutated,
)
from ccsync.emulators.constantcontact.state import Account, Record
from ccsync.emulators.constantcontact.validation import check_id_list

router = APIRouter(prefix="/v3")
STATES = ("initialized", "processing", "completed", "cancelled", "failed", "timed_out")


def _accept(ctx: Ctx, kind: str, total: int, payload: dict[str, Any]) -> JSONResponse:
    """Queue an activity (429 at 1,000 queued) and answer 201 with its status."""
    return JSONResponse(_queue(ctx, kind, total, payload), status_code=201)


def _queue(ctx: Ctx, kind: str, total: int, payload: dict[str, Any]) -> Record:
    """Queue an activity (429 at 1,000 queued); its status as the API shows it now."""
    state = ctx.state
    now = state.clock.time()
    if activities.queued(ctx.account, now) >= activities.QUEUE_LIMIT:
        raise ApiError(429, activities.QUEUE_FULL)
    activity = activities.enqueue(state, ctx.account, kind, total, payload)
    mutated(state)
    return activities.view(activity, now)


@router.post("/activities/contacts_json_import")
async def json_import(request: Request, ctx: Ctx = Depends(api_context)) -> JSONResponse:
    """``bulkImportContactsJSON``: ≤ 40,000 rows, body < 4 MB, ``list_ids`` required."""
    raw = await request.body()
    body = await json_body(request)
    with ctx.state.lock:
        if len(raw) >= import_rows.MAX_BYTES:
            if ctx.state.config.oversize_import == "reject":
                raise bad_request("The request body must be smaller than 4 MB")
            body = import_rows.truncate(body)
        parsed = import_rows.parse(ctx.account, body)
        return _accept(ctx, "import", parsed.total, parsed.payload())


@router.post("/activities/contact_delete")
async def contact_delete(request: Request, ctx: Ctx = Depends(api_context)) -> JSONResponse:
    """``postContactDelete``: ``contact_ids`` (≤ 500) or ``list_ids`` (≤ 50)."""
    body = _object(await json_body(request))
    with ctx.state.lock:
        payload = _selection(ctx.account, body, allow_all=False)
        total = len(payload.pop("selected"))
        if payload.get("source_lists"):
            payload["status"] = {"list_count": len(payload["source_lists"])}
        return _accept(ctx, "delete", total, payload)


@router.post("/activities/add_list_memberships")
async def add_lists(request: Request, ctx: Ctx = Depends(api_context)) -> JSONResponse:
    """``postListAddContact``."""
    return await _membership(request, ctx, "add_lists")


@router.post("/activities/remove_list_memberships")
async def remove_lists(request: Request, ctx: Ctx = Depends(api_context)) -> JSONResponse:
    """``postListRemoveContact``."""
    return await _membership(request, ctx, "remove_lists")


async def _membership(request: Request, ctx: Ctx, kind: str) -> JSONResponse:
    body = _object(await json_body(request))
    with ctx.state.lock:
        problems: list[str] = []
        targets = check_id_list(problems, "list_ids", body.get("list_ids"), 50, minimum=1)
        problems += _unknown_lists(ctx.account, targets)
        if problems:
            raise bad_request(*problems)
        source = _object(body.get("source"), "source")
        exclude = _object(body.get("exclude") or {}, "exclude").get("contact_ids") or []
        payload = _selection(ctx.account, {**source, "exclude": exclude}, allow_all=True)
        total = len(payload.pop("selected"))
        payload.update(list_ids=targets, status={"list_count": len(targets)})
        return _accept(ctx, kind, total, payload)


@router.post("/activities/list_delete")
async def lists_delete(request: Request, ctx: Ctx = Depends(api_context)) -> JSONResponse:
    """``postListDelete``: up to 100 lists go at once, their memberships when it completes."""
    body = _object(await json_body(request))
    account = ctx.account
    with ctx.state.lock:
        problems: list[str] = []
        list_ids = check_id_list(problems, "list_ids", body.get("list_ids"), 100, minimum=1)
        problems += _unknown_lists(account, list_ids)
        if problems:
            raise bad_request(*problems)
        now = ctx.state.now()
        for list_id in list_ids:
            account.lists[list_id]["deleted_at"] = now
        wanted = set(list_ids)
        total = sum(1 for c in account.contacts.values() if wanted & set(c["list_memberships"]))
        payload: dict[str, Any] = {"source_lists": list_ids, "list_ids": list_ids}
        payload["status"] = {"list_count": len(list_ids)}
        return _accept(ctx, "remove_lists", total, payload)


@router.post("/activities/custom_fields_delete")
async def fields_delete(request: Request, ctx: Ctx = Depends(api_context)) -> JSONResponse:
    """``postCustomFieldDelete``: up to 100 custom fields, deleted when the activity completes."""
    body = _object(await json_body(request))
    account = ctx.account
    with ctx.state.lock:
        problems: list[str] = []
        raw = body.get("custom_field_ids")
        field_ids = check_id_list(problems, "custom_field_ids", raw, 100, minimum=1)
        problems += [
            f"Unknown custom_field_id {i[:60]}" for i in field_ids if i not in account.custom_fields
        ]
        if problems:
            raise bad_request(*problems)
        unique = list(dict.fromkeys(field_ids))
        view = _queue(ctx, "delete_fields", len(unique), {"custom_field_ids": unique})
    view.pop("status", None)  # ``ActivityDeleteCustomFields`` has no status object
    return JSONResponse(view, status_code=201)


@router.post("/activities/contact_exports")
async def contact_exports(request: Request, ctx: Ctx = Depends(api_context)) -> JSONResponse:
    """``postContactsExport``: a CSV of the chosen (default: all active) contacts."""
    body = _object(await json_body(request))
    with ctx.state.lock:
        if not body.get("contact_ids") and not body.get("list_ids"):
            body = {**body, "all_active_contacts": True}
        payload = _selection(ctx.account, body, allow_all=True)
        total = len(payload.pop("selected"))
        return _accept(ctx, "export", total, payload)


def _object(value: Any, name: str = "The request body") -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_request(f"{name} must be a JSON object")
    return value


def _unknown_lists(account: Account, list_ids: list[str]) -> list[str]:
    live = account.live_lists()
    return [f"Unknown list_id {i[:60]}" for i in list_ids if i not in live]


def _selection(account: Account, source: dict[str, Any], *, allow_all: bool) -> dict[str, Any]:
    """Exactly one of ``contact_ids``, ``list_ids`` or ``all_active_contacts``."""
    problems: list[str] = []
    ids = check_id_list(problems, "contact_ids", source.get("contact_ids"), 500)
    lists = check_id_list(problems, "list_ids", source.get("list_ids"), 50)
    everyone = allow_all and source.get("all_active_contacts") is True
    if sum((bool(ids), bool(lists), everyone)) != 1:
        problems.append("Specify exactly one of contact_ids, list_ids or all_active_contacts")
    problems += _unknown_lists(account, lists)
    exclude = check_id_list(problems, "exclude.contact_ids", source.get("exclude"), 10000)
    if problems:
        raise bad_request(*problems)
    if ids:
        selected = [i for i in dict.fromkeys(ids) if i in account.contacts]
    elif lists:
        wanted = set(lists)
        selected = [c for c, r in account.contacts.items() if wanted & set(r["list_memberships"])]
    else:
        selected = [c for c, r in account.contacts.items() if not r.get("deleted_at")]
    payload: dict[str, Any] = {"contact_ids": selected, "exclude": exclude}
    payload.update(source_lists=lists, selected=selected)
    return payload


@router.get("/activities/{activity_id}")
def get_activity(activity_id: str, ctx: Ctx = Depends(api_context)) -> Record:
    """``getActivity``."""
    with ctx.state.lock:
        activity = ctx.account.activities.get(activity_id)
        if activity is None:
            raise errors(404, "activities.api.not_found", "The activity was not found.")
        return activities.view(activity, ctx.state.clock.time())


@router.get("/activities")
def list_activities(request: Request, ctx: Ctx = Depends(api_context)) -> Record:
    """``getActivityStatusCollection``."""
    wanted = request.query_params.get("state")
    try:
        limit = parse_limit(request.query_params.get("limit"))
    except QueryError as exc:
        raise bad_request(str(exc)) from exc
    if wanted is not None and wanted not in STATES:
        raise bad_request("state does not have a valid value")
    with ctx.state.lock:
        views = activities.listing(ctx.account, ctx.state.clock.time(), wanted, limit)
    return {"activities": views}


@router.get("/contact_exports/{file_export_id}")
def get_export(file_export_id: str, ctx: Ctx = Depends(api_context)) -> PlainTextResponse:
    """``getContactsExport``: the CSV once the export activity completed."""
    with ctx.state.lock:
        text = ctx.account.exports.get(file_export_id)
    if text is None:
        raise errors(404, "activities.api.not_found", "The export file was not found.")
    return PlainTextResponse(text, media_type="text/csv")
