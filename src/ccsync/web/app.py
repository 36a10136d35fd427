"""The web application: ``create_app(settings)`` builds the FastAPI app of ``ccsync serve``.

Pages are server-rendered Jinja2 with htmx (vendored) for the live bits; the JSON API lives under
``/api/`` with its OpenAPI document at ``/api/openapi.json``. Sessions are signed cookies
(Starlette ``SessionMiddleware``); every state-changing request needs the CSRF token
(``FormCSRFMiddleware``: hidden field or ``x-csrftoken`` header).

Example::

    app = create_app(get_settings())
    uvicorn.run(app, host="127.0.0.1", port=8765)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from ccsync.jobs.local import LocalBackend, load_schedules, purge_debug_log
from ccsync.settings import AppSettings
from ccsync.store.crypto import configure_encryption
from ccsync.store.db import init_db, session_factory
from ccsync.web.csrf import FormCSRFMiddleware
from ccsync.web.deps import LoginRequired, PasswordChangeRequired
from ccsync.web.routes import register_routes
from ccsync.web.templating import render

STATIC_DIR = Path(__file__).parent / "static"


@dataclass(slots=True)
class WebContext:
    """What every request handler reaches through ``request.app.state.ctx``."""

    settings: AppSettings
    engine: Engine
    sessions: sessionmaker[Session]
    backend: LocalBackend


def create_app(
    settings: AppSettings,
    *,
    backend: LocalBackend | None = None,
    scheduler: bool = True,
    background: bool = True,
) -> FastAPI:
    """Build the web app on the database of ``settings`` (migrated to head).

    Args:
        settings: the installation's settings (database, session key, base URL).
        backend: the job backend to start runs on (default: a ``LocalBackend`` on the store).
        scheduler: start the job backend with the app (tests turn it off to keep runs queued).
        background: schedule the connectors' background syncs here (off when a separate
            ``ccsync worker`` does it; Sync Now still runs in this process).

    Returns:
        The ASGI application.
    """
    configure_encryption(settings.fernet_keys)
    engine = init_db(settings.database_url)
    sessions = session_factory(engine)
    ctx = WebContext(
        settings,
        engine,
        sessions,
        backend
        or LocalBackend(
            settings,
            schedules=lambda: load_schedules(sessions),
            housekeeping=lambda: purge_debug_log(sessions, settings.debug_retention_days),
        ),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if scheduler:
            ctx.backend.start(background=background)
        try:
            yield
        finally:
            ctx.backend.shutdown(wait=False)

    app = FastAPI(
        title="ccsync",
        version="0.1.0",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    register_routes(app)
    _install_error_pages(app)
    secret = settings.session_secret.get_secret_value()
    app.add_middleware(FormCSRFMiddleware, secret=secret)
    secure = settings.base_url.startswith("https://")
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="ccsync_session",
        same_site="lax",
        https_only=secure,
        max_age=14 * 24 * 3600,
    )
    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path in ("/healthz", "/metrics")


def _install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "Sign in first."}, status_code=401)
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(PasswordChangeRequired)
    async def password_change(request: Request, _exc: PasswordChangeRequired) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "Change your password first."}, status_code=403)
        return RedirectResponse("/password", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        titles = {403: "Forbidden", 404: "Not found", 405: "Method not allowed"}
        return render(
            request,
            "error.html",
            status_code=exc.status_code,
            status=exc.status_code,
            title=titles.get(exc.status_code, "Error"),
            detail=exc.detail,
        )
