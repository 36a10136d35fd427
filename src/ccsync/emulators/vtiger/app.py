"""The ASGI app: webservice.php (and the restapi flavour), controls, fault injection."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp

from ccsync.emulators.vtiger import controls, restapi, webservice
from ccsync.emulators.vtiger.emulator import Emulator
from ccsync.emulators.vtiger.transport import OperationFaultMiddleware


def build_app(emulator: Emulator) -> ASGIApp:
    """Routes for the configured flavour, wrapped in fault injection.

    Vtiger Cloud also serves ``webservice.php``, so the restapi flavour offers both endpoints.
    """
    routes = [Route("/webservice.php", webservice.endpoint, methods=["GET", "POST"])]
    if emulator.settings.flavour == "restapi":
        path = restapi.PREFIX + "/{operation}"
        routes.append(Route(path, restapi.endpoint, methods=["GET", "POST", "PUT", "DELETE"]))
    routes += controls.routes()
    app = Starlette(routes=routes)
    app.state.emulator = emulator
    return OperationFaultMiddleware(app, emulator.injector)
