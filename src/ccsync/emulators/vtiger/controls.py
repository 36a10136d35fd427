"""Test controls under ``/_emulator/`` (never faulted, never rate-limited)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ccsync.emulators.faults import FaultRule
from ccsync.emulators.vtiger import auth, records
from ccsync.emulators.vtiger.emulator import Emulator
from ccsync.emulators.vtiger.errors import VtigerError
from ccsync.emulators.vtiger.layout import add_field, set_mandatory
from ccsync.emulators.vtiger.state import Record, User


class ControlError(Exception):
    """A bad control request (answered with 400/404 and a JSON error)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ControlError(400, "body is not JSON") from exc
    if not isinstance(data, dict):
        raise ControlError(400, "body must be a JSON object")
    return data


def _emulator(request: Request) -> Emulator:
    emulator: Emulator = request.app.state.emulator
    return emulator


def _acting_user(emulator: Emulator, body: dict[str, Any], key: str = "user") -> User:
    name = body.get(key) or emulator.settings.username
    user = emulator.store.users.get(str(name))
    if user is None:
        raise ControlError(404, f"no such user: {name}")
    return user


def _contact(emulator: Emulator, raw_id: str, deleted: bool = False) -> Record:
    crmid = int(raw_id.rpartition("x")[2]) if raw_id.rpartition("x")[2].isdigit() else -1
    record = emulator.store.records.get(crmid)
    if record is None or record.module != "Contacts" or record.deleted != deleted:
        state = "deleted" if deleted else "live"
        raise ControlError(404, f"no {state} contact {raw_id}")
    return record


def _handler(func: Any) -> Any:
    """Run a control under the lock and turn errors into JSON answers."""

    async def endpoint(request: Request) -> Response:
        emulator = _emulator(request)
        try:
            body = await _body(request) if request.method != "GET" else {}
            with emulator.lock:
                result = func(emulator, request, body)
                emulator.store.dirty.set()
        except ControlError as error:
            return JSONResponse({"error": str(error)}, error.status)
        except VtigerError as error:
            return JSONResponse({"error": error.message, "code": error.code}, 400)
        return result if isinstance(result, Response) else JSONResponse(result)

    return endpoint


def health(emulator: Emulator, request: Request, body: dict[str, Any]) -> object:
    """``GET /_emulator/health``."""
    return {"ok": True}


def reset(emulator: Emulator, request: Request, body: dict[str, Any]) -> object:
    """``POST /_emulator/reset`` (optional ``seed_contacts``)."""
    count = body.get("seed_contacts")
    emulator.reset(int(count) if count is not None else None)
    return {"ok": True, "contacts": len(emulator.store.ids["Contacts"])}


def clock(emulator: Emulator, request: Request, body: dict[str, Any]) -> object:
    """``GET|POST /_emulator/clock``."""
    if request.method == "POST":
        emulator.clock.apply(body)
    return emulator.clock.snapshot()


def counters(emulator: Emulator, request: Request, body: dict[str, Any]) -> object:
    """``GET|DELETE /_emulator/counters``."""
    if request.method == "DELETE":
        emulator.store.counters.by_operation.clear()
    return emulator.store.counters.snapshot()


def faults(emulator: Emulator, request: Request, body: dict[str, Any]) -> object:
    """``POST|DELETE|GET /_emulator/faults``."""
    if request.method == "DELETE":
        emulator.injector.clear()
    elif request.method == "POST":
        rules = body.get("rules", [])
        if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
            raise ControlError(400, "rules must be a list of objects")
        seed = body.get("seed")
        emulator.injector.set_rules([FaultRule.from_json(r) for r in rules], seed)
    return {"rules": emulator.injector.describe()}


def ui_create(emulator: Emulator, request: Request, body: dict[str, Any]) -> object:
    """``POST /_emulator/ui/contacts``: a user creates a contact in the web UI."""
    user = _acting_user(emulator, body)
    fields = dict(body.get("fields") or {})
    fields.setdefault("assigned_user_id", user.ws_id)
    record = records.create(emulator.store, user, "Contacts", fields, source="CRM")
    return records.render(emulator.store, record, emulator.main_user())


def ui_create_account(emulator: Emulator, request: Request, body: dict[str, Any]) -> object:
    """``POST /_emulator/ui/accounts``: a user creates an organisation in the web UI."""
    user = _acting_user(emulator, body)
    fields = dict(body.get("fields") or {})
    fields.setdefault("assigned_user_id", user.ws_id)
    record = records.create(emulator.store, user, "Accounts", fields, source="CRM")
    return records.render(emulator.store, record, emulator.main_user())


def ui_edit(emulator: Emulator, request: Request, body: dict[str, Any]) -> object:
    """``PATCH /_emulator/ui/contacts/{id}``: edit like the UI's save (a revise)."""
    user = _acting_user(emulator, body)
    record = _contact(emulator, request.path_params["id"])
    element = {**dict(body.get("fields") or {}), "id": emulator.store.ws_id(record)}
    records.revise(emulator.store, user, element)
    return records.render(emulator.store, record, emulator.main_user())


def ui_delete(emulator: Emulator, request: Request, body: dict[str, Any]) -> object:
    """``DELETE /_emulator/ui/contacts/{id}``: move to the Recycle Bin."""
    user = _acting_user(emulator, body)
    record = _contact(emulator, request.path_params["id"])
    return records.delete(emulator.store, user, emulator.store.ws_id(record))


def ui_reassign(emulator: Emulator, request: Request, body: dict[str, Any]) -> object:
    """``POST /_emulator/ui/contacts/{id}/reassign`` ``{"to_user": name}``."""
    user = _acting_user(emulator, body)
    target = _acting_user(emulator, body, "to_user")
    record = _contact(emulator, request.path_params["id"])
    records.save(emulator.store, user, record, {"assigned_user_id": target.ws_id})
    return records.render(emulator.store, record, emulator.main_user())


def ui_restore(emulator: Emulator, request: Request, body: dict[str, Any]) -> object:
    """``POST /_emulator/ui/contacts/{id}/restore``: Recycle Bin restore (same id)."""
    user = _acting_user(emulator, body)
    record = _contact(emulator, request.path_params["id"], deleted=True)
    records.restore(emulator.store, user, record)
    return records.render(emulator.store, record, emulator.main_user())


def ui_add_field(emulator: Emulator, request: Request, body: dict[str, Any]) -> object:
    """``POST /_emulator/ui/fields`` ``{"label", "type", "length"}`` → ``{"name": "cf_NNN"}``."""
    label = str(body.get("label") or "").strip()
    if not label:
        raise ControlError(400, "label is required")
    kind = str(body.get("type") or "string")
    length = int(body.get("length") or 255)
    return {"name": add_field(emulator.store, label, kind, length)}


def ui_mandatory(emulator: Emulator, request: Request, body: dict[str, Any]) -> object:
    """``POST /_emulator/ui/fields/{name}/mandatory`` ``{"mandatory": bool}``."""
    name = request.path_params["name"]
    if not set_mandatory(emulator.store, name, bool(body.get("mandatory", True))):
        raise ControlError(404, f"no such field: {name}")
    return {"mandatory": emulator.store.schemas["Contacts"].mandatory()}


def ui_settings(emulator: Emulator, request: Request, body: dict[str, Any]) -> object:
    """``POST /_emulator/ui/settings`` ``{"duplicate_prevention": bool}``."""
    if "duplicate_prevention" in body:
        emulator.store.duplicate_prevention = bool(body["duplicate_prevention"])
    return {"duplicate_prevention": emulator.store.duplicate_prevention}


def expire(emulator: Emulator, request: Request, body: dict[str, Any]) -> object:
    """``POST /_emulator/sessions/expire`` (optional ``user``)."""
    user = body.get("user")
    return {"expired": auth.expire_sessions(emulator.store, str(user) if user else None)}


def supersede(emulator: Emulator, request: Request, body: dict[str, Any]) -> object:
    """``POST /_emulator/challenge/supersede``: a foreign getchallenge kills our token."""
    user = _acting_user(emulator, body)
    auth.getchallenge(emulator.store, user.name)
    return {"ok": True}


def contacts(emulator: Emulator, request: Request, body: dict[str, Any]) -> object:
    """``GET /_emulator/contacts[?fields=a,b]``: every Contacts record with ``deleted``."""
    store = emulator.store
    admin = emulator.main_user()
    wanted = [f for f in request.query_params.get("fields", "").split(",") if f]
    out = []
    for crmid in store.ids["Contacts"]:
        record = store.records[crmid]
        row = records.render(store, record, admin)
        if wanted:  # ?fields=a,b keeps 100,000-contact answers small
            row = {k: row.get(k, "") for k in ("id", *wanted)}
        out.append({**row, "deleted": record.deleted})
    return out


def users(emulator: Emulator, request: Request, body: dict[str, Any]) -> object:
    """``GET /_emulator/users`` (access keys are not shown)."""
    return [
        {"name": u.name, "userId": u.ws_id, "is_admin": u.is_admin}
        for u in emulator.store.users.values()
    ]


def routes() -> list[Route]:
    """Every control route."""
    table: list[tuple[str, Any, list[str]]] = [
        ("/health", health, ["GET"]),
        ("/reset", reset, ["POST"]),
        ("/clock", clock, ["GET", "POST"]),
        ("/counters", counters, ["GET", "DELETE"]),
        ("/faults", faults, ["GET", "POST", "DELETE"]),
        ("/ui/contacts", ui_create, ["POST"]),
        ("/ui/accounts", ui_create_account, ["POST"]),
        ("/ui/contacts/{id}", ui_edit, ["PATCH"]),
        ("/ui/contacts/{id}", ui_delete, ["DELETE"]),
        ("/ui/contacts/{id}/reassign", ui_reassign, ["POST"]),
        ("/ui/contacts/{id}/restore", ui_restore, ["POST"]),
        ("/ui/fields", ui_add_field, ["POST"]),
        ("/ui/fields/{name}/mandatory", ui_mandatory, ["POST"]),
        ("/ui/settings", ui_settings, ["POST"]),
        ("/sessions/expire", expire, ["POST"]),
        ("/challenge/supersede", supersede, ["POST"]),
        ("/contacts", contacts, ["GET"]),
        ("/users", users, ["GET"]),
    ]
    return [Route("/_emulator" + p, _handler(f), methods=m) for p, f, m in table]
