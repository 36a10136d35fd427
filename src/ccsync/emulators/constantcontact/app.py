"""The ASGI app: routers, CC-shaped error answers, call counting and fault injection."""

from __future__ import annotations

from re import Pattern

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from ccsync.emulators.constantcontact import (
    api_activities,
    api_contacts,
    api_lists,
    api_lookups,
    control,
    oauth_routes,
)
from ccsync.emulators.constantcontact.runtime import ApiError, Runtime
from ccsync.emulators.constantcontact.state import EmulatorState
from ccsync.emulators.constantcontact.validation import is_uuid
from ccsync.emulators.faults import FaultMiddleware

COUNTED_PREFIXES = ("/v3", "/oauth2")


def create_app(state: EmulatorState) -> tuple[ASGIApp, Runtime]:
    """The full emulator app (counting outside fault injection) and its runtime."""
    rt = Runtime.create(state)
    api = FastAPI(title="Constant Contact v3 emulator", docs_url=None, redoc_url=None)
    api.state.rt = rt
    routers = (
        api_lookups.router,  # before the ``{contact_id}`` / ``{list_id}`` routes it shadows
        api_contacts.router,
        api_lists.router,
        api_activities.router,
        control.router,
        oauth_routes.router,
    )
    for router in routers:
        api.include_router(router)
    api.add_exception_handler(ApiError, _api_error)
    api.add_exception_handler(StarletteHTTPException, _http_error)
    templates = [
        (route.path_regex, route.path)
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
    ]
    api.state.route_regexes = [regex for regex, _ in templates]
    return CountingMiddleware(FaultMiddleware(api, rt.faults), templates, rt), rt


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """Unknown routes and methods answer in CC's array shape instead of FastAPI's."""
    assert isinstance(exc, StarletteHTTPException)
    status, detail, headers = exc.status_code, str(exc.detail), exc.headers
    if status == 405 and not _names_a_resource(request):
        status, detail, headers = 404, "Not Found", None
    key = {404: "not_found", 405: "method_not_allowed"}.get(status, "error")
    return JSONResponse(
        [{"error_key": key, "error_message": detail}], status_code=status, headers=headers
    )


def _names_a_resource(request: Request) -> bool:
    """Whether the path is a resource of some route (a literal path, or ids that are uuids).

    ``POST /v3/activities/contacts_taggings_add`` only looks like ``/activities/{activity_id}``:
    it is an unknown path (404), not a known resource with the wrong method (405).
    """
    path = request.url.path
    regexes: list[Pattern[str]] = request.app.state.route_regexes
    for regex in regexes:
        found = regex.match(path)
        if found and all(is_uuid(v) for v in found.groupdict().values()):
            return True
    return False


class CountingMiddleware:
    """Counts every request to ``/v3`` and ``/oauth2`` by route template, faults included."""

    def __init__(
        self, app: ASGIApp, templates: list[tuple[Pattern[str], str]], rt: Runtime
    ) -> None:
        self.app = app
        self.templates = templates
        self.rt = rt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope["path"]).startswith(COUNTED_PREFIXES):
            self.rt.counters.count(f"{scope['method']} {self._template(scope)}")
        await self.app(scope, receive, send)

    def _template(self, scope: Scope) -> str:
        path = str(scope["path"])
        for regex, template in self.templates:
            if regex.match(path):
                return template
        return path
