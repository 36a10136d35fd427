"""``/webservice.php``: the open-source endpoint, faithful to a real Vtiger 8.2 on PHP 8."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from ccsync.emulators.vtiger import auth
from ccsync.emulators.vtiger.emulator import Emulator
from ccsync.emulators.vtiger.errors import DENIED, ServerCrash, VtigerError
from ccsync.emulators.vtiger.operations import GET_OPERATIONS, POST_OPERATIONS, perform

PRELOGIN = frozenset({"getchallenge", "login"})


def json_response(body: object, status: int = 200) -> Response:
    """A JSON answer encoded the way PHP's json_encode does (compact, \\u escapes)."""
    return Response(json.dumps(body, separators=(",", ":")), status, media_type="application/json")


def crash() -> Response:
    """An uncaught PHP error: HTTP 500, empty body."""
    return Response(b"", 500)


async def read_form(request: Request) -> dict[str, str]:
    """The form-encoded body (empty for GET or other content types)."""
    if request.method != "POST":
        return {}
    body = (await request.body()).decode("utf-8", "replace")
    return dict(parse_qsl(body, keep_blank_values=True))


async def endpoint(request: Request) -> Response:
    """Handle one webservice call."""
    emulator: Emulator = request.app.state.emulator
    query = dict(request.query_params)
    form = await read_form(request)
    merged = {**query, **form}
    operation = merged.get("operation", "").lower()
    with emulator.lock:
        emulator.store.counters.count(operation or "(none)")
    if operation not in GET_OPERATIONS | POST_OPERATIONS:
        return crash()  # the OperationManager throws outside the try: HTTP 500, empty body
    params = query if operation in GET_OPERATIONS else form
    try:
        with emulator.lock:
            result = _run(emulator, request.method, operation, params, merged)
    except VtigerError as error:
        return json_response(error.to_json())
    except ServerCrash:
        return crash()
    return json_response({"success": True, "result": result})


def _check_method(method: str, operation: str) -> None:
    """A POST operation sent by another method finds no parameters (``$_POST`` is empty).

    GET (read) operations need no check: the real server reads their parameters from the URL
    query string (``$_GET``) whatever the HTTP method, so ``POST ?operation=getchallenge&…``
    works and a POST with the parameters only in the body finds none (``OperationManager::
    getOperationInput()``).
    """
    if operation in POST_OPERATIONS and method != "POST":
        raise VtigerError("ACCESS_DENIED", DENIED)


def _run(
    emulator: Emulator,
    method: str,
    operation: str,
    params: dict[str, str],
    merged: dict[str, str],
) -> object:
    store = emulator.store
    if operation in PRELOGIN:
        _check_method(method, operation)
        if operation == "getchallenge":
            return auth.getchallenge(store, params.get("username"))
        return auth.login(store, params.get("username"), params.get("accessKey"))
    user = auth.session_user(store, merged.get("sessionName"), emulator.settings.session_idle)
    _check_method(method, operation)
    if operation == "logout":
        raise ServerCrash("Unknown named parameter $sessionName")
    if operation == "sync" and emulator.settings.sync_operation == "broken":
        raise ServerCrash("Unknown named parameter $modifiedTime")
    return perform(store, user, operation, params)
