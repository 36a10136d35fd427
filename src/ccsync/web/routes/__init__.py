"""Every router of the web app; pages are left out of the OpenAPI document, ``/api/`` is in it."""

from __future__ import annotations

from fastapi import FastAPI

from ccsync.web.routes import (
    admin_pages,
    api_admin,
    api_connectors,
    api_logs,
    api_ops,
    auth_pages,
    log_pages,
    oauth_pages,
    ops_pages,
    settings_pages,
    sync_pages,
    system,
)


def register_routes(app: FastAPI) -> None:
    """Mount every router on ``app``."""
    for module in (
        auth_pages,
        sync_pages,
        oauth_pages,
        settings_pages,
        log_pages,
        ops_pages,
        admin_pages,
        system,
    ):
        app.include_router(module.router)
    for module in (api_connectors, api_logs, api_ops, api_admin):
        app.include_router(module.router, prefix="/api")
