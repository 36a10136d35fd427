"""``/restapi/v1/vtiger/default/<operation>``: the Vtiger Cloud flavour.

HTTP Basic (username or login e-mail : access key) on every call, no sessions; errors are an
HTTP status whose reason phrase carries the message, with an empty body; quotas with usage
headers and 429.
"""

from __future__ import annotations

import base64
import binascii
import hmac

from starlette.requests import Request
from starlette.responses import Response

from ccsync.emulators.vtiger.emulator import Emulator
from ccsync.emulators.vtiger.errors import DENIED, VtigerError
from ccsync.emulators.vtiger.operations import perform
from ccsync.emulators.vtiger.state import User
from ccsync.emulators.vtiger.transport import reason_header
from ccsync.emulators.vtiger.webservice import json_response, read_form

PREFIX = "/restapi/v1/vtiger/default"
REST_GET = frozenset({"me", "listtypes", "describe", "retrieve", "query", "sync"})
REST_POST = frozenset({"create", "update", "revise", "delete"})


def failure(status: int, message: str, headers: list[tuple[str, str]]) -> Response:
    """A non-200 answer: the message travels in the reason phrase, the body is empty."""
    response = Response(b"", status)
    for name, value in headers:
        response.headers[name] = value
    response.raw_headers.append(reason_header(message))
    return response


async def endpoint(request: Request) -> Response:
    """Handle one REST call."""
    emulator: Emulator = request.app.state.emulator
    operation = str(request.path_params["operation"]).lower()
    allowed, headers = emulator.quota.take()
    if not allowed:
        return failure(429, "Too Many Requests", headers)
    form = await read_form(request)
    with emulator.lock:
        emulator.store.counters.count(operation)
        user = _authenticate(emulator, request.headers.get("authorization", ""))
        if user is None:
            response = failure(401, "Unauthorized", headers)
            response.headers["WWW-Authenticate"] = 'Basic realm="Vtiger"'
            return response
        try:
            result = _run(emulator, user, request.method, operation, request, form)
        except VtigerError as error:
            return failure(error.status, error.message, headers)
    response = json_response({"success": True, "result": result})
    for name, value in headers:
        response.headers[name] = value
    return response


def _run(
    emulator: Emulator,
    user: User,
    method: str,
    operation: str,
    request: Request,
    form: dict[str, str],
) -> object:
    if operation not in REST_GET | REST_POST:
        raise VtigerError("UNKNOWN_OPERATION", "Unknown operation", status=404)
    expected = "GET" if operation in REST_GET else "POST"
    if method != expected:
        raise VtigerError("ACCESS_DENIED", DENIED, status=405)
    if operation == "me":
        return me(user)
    params = dict(request.query_params) if expected == "GET" else form
    sync_type = params.get("syncType") or "user"
    return perform(emulator.store, user, operation, params, sync_type)


def me(user: User) -> dict[str, str]:
    """The ``me`` result: the calling user's record."""
    return {
        "id": user.ws_id,
        "user_name": user.name,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email1": user.email,
        "is_admin": "on" if user.is_admin else "off",
        "roleid": "H2" if user.is_admin else "H5",
        "time_zone": "UTC",
        "date_format": "yyyy-mm-dd",
        "hour_format": "12",
        "status": "Active",
    }


def _authenticate(emulator: Emulator, header: str) -> User | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        name, _, key = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    for user in emulator.store.users.values():
        if name in (user.name, user.email) and hmac.compare_digest(user.access_key, key):
            return user
    return None
