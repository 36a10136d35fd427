"""The web application: ``create_app(settings)`` builds the FastAPI app of ``ccsync serve``.

Pages are server-rendered Jinja2 with htmx (vendored) for the live bits; the JSON API lives under
``/api/`` with its OpenAPI document at ``/api/openapi.json`` (signed-in users only; no Swagger
UI). Sessions are server-side (``web_sessions``; the signed Starlette session cookie carries the
token); every state-changing request needs the CSRF token tied to the session
(``FormCSRFMiddleware``: hidden field or ``x-csrftoken`` header) and, when the browser names
one, the app's own origin. Request bodies are capped (``BodyLimitMiddleware``) before anything
reads them, and every answer carries the security headers (``SecurityHeadersMiddleware``).

Example::

    app = create_app(get_settings())
    uvicorn.run(app, host="127.0.0.1", port=8765)
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from ccsync.jobs.backend import ServingBackend
from ccsync.jobs.choice import serving_backend
from ccsync.jobs.local import purge_debug_log
from ccsync.settings import AppSettings, check_permissions
from ccsync.store.crypto import configure_encryption
from ccsync.store.db import init_db, session_factory
from ccsync.store.repos.websessions import purge_sessions
from ccsync.store.writable import READ_ONLY_MESSAGE, is_read_only_error
from ccsync.web.context import WebContext
from ccsync.web.csrf import FormCSRFMiddleware
from ccsync.web.deps import LoginRequired, PasswordChangeRequired
from ccsync.web.form_errors import from_pydantic, texts
from ccsync.web.routes import register_routes
from ccsync.web.security import BodyLimitMiddleware, SecurityHeadersMiddleware
from ccsync.web.templating import render
from ccsync.web.throttle import HashingGate, LoginThrottle

STATIC_DIR = Path(__file__).parent / "static"
log = logging.getLogger(__name__)


def create_app(
    settings: AppSettings,
    *,
    backend: ServingBackend | None = None,
    scheduler: bool = True,
    background: bool = True,
) -> FastAPI:
    """Build the web app on the database of ``settings`` (migrated to head).

    Args:
        settings: the installation's settings (database, session key, base URL).
        backend: the job backend to start runs on (default: the one ``CCSYNC_JOBS`` names — a
            ``LocalBackend`` on the store, or the procrastinate job queue).
        scheduler: start the job backend with the app (tests turn it off to keep runs queued).
        background: schedule the connectors' background syncs here (off when a separate
            ``ccsync worker`` does it; Sync Now still runs in this process).

    Returns:
        The ASGI application.
    """
    for warning in check_permissions(settings):
        log.warning(warning)
    configure_encryption(settings.fernet_keys)
    engine = init_db(settings.database_url)
    sessions = session_factory(engine)
    ctx = WebContext(
        settings,
        engine,
        sessions,
        backend or serving_backend(settings, sessions, lambda: _housekeeping(settings, sessions)),
        LoginThrottle(free=settings.login_free_failures, max_wait=settings.login_max_backoff_s),
        HashingGate(settings.login_max_hashing),
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
        # The document is served to signed-in users by a route of its own (routes/system.py);
        # no Swagger UI: it would load its assets from a CDN.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    register_routes(app)
    _install_error_pages(app)
    secret = settings.session_secret.get_secret_value()
    secure = settings.base_url.startswith("https://")
    # Added innermost first: body limit → origin check and headers → session → CSRF → routes.
    app.add_middleware(FormCSRFMiddleware, secret=secret, cookie_secure=secure)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="ccsync_session",
        same_site="lax",
        https_only=secure,
        max_age=max(60, int(settings.session_lifetime_hours * 3600)),
    )
    app.add_middleware(SecurityHeadersMiddleware, base_url=settings.base_url)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    return app


def _housekeeping(settings: AppSettings, sessions: sessionmaker[Session]) -> None:
    """The backend's daily chores: old Debug Log entries, expired and idle web sessions."""
    purge_debug_log(sessions, settings.debug_retention_days)
    with sessions.begin() as session:
        purge_sessions(session, idle=timedelta(minutes=settings.session_idle_minutes))


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

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> Response:
        if is_read_only_error(exc):
            status, title, detail = 503, "Database is read-only", READ_ONLY_MESSAGE
        else:
            status, title = 500, "Database error"
            detail = f"The database refused the request ({type(exc.orig).__name__})."
        # The driver's message may quote row values: only its type is logged.
        log.error(
            "database error on %s %s: %s", request.method, request.url.path, type(exc.orig).__name__
        )
        if _wants_json(request):
            return JSONResponse({"detail": detail}, status_code=status)
        return render(
            request, "error.html", status_code=status, status=status, title=title, detail=detail
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/api/"):
            return await request_validation_exception_handler(request, exc)
        # Pages: the problems in words, never the input or pydantic's own text.
        problems = texts(from_pydantic(exc.errors()))
        return render(
            request,
            "error.html",
            status_code=422,
            status=422,
            title="The request could not be used",
            detail="Nothing was changed. Go back, correct it and try again.",
            problems=problems,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        titles = {
            403: "Forbidden",
            404: "Not found",
            405: "Method not allowed",
            413: "Request too large",
            503: "Unavailable",
        }
        return render(
            request,
            "error.html",
            status_code=exc.status_code,
            status=exc.status_code,
            title=titles.get(exc.status_code, "Error"),
            detail=exc.detail,
        )
