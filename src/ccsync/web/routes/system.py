"""``/healthz`` (public), ``/metrics`` (Bearer token) and ``/api/openapi.json`` (signed in)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import text

from ccsync.web.deps import CurrentUser, get_ctx
from ccsync.web.metrics import render_metrics

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz(request: Request) -> Response:
    """200 when the database answers."""
    with get_ctx(request).engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return JSONResponse({"status": "ok"})


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Runs by status, records by action, last run time per connector.

    Needs ``Authorization: Bearer <CCSYNC_METRICS_TOKEN>``; without that setting it is off (the
    metrics name every connector).
    """
    expected = get_ctx(request).settings.metrics_token.get_secret_value()
    if not expected:
        raise HTTPException(404, "Metrics are off: set CCSYNC_METRICS_TOKEN to turn them on.")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), expected.encode()
    ):
        raise HTTPException(
            401, "Send the metrics token as a Bearer token.", {"www-authenticate": "Bearer"}
        )
    ctx = get_ctx(request)
    body = render_metrics(ctx.sessions, ctx.settings.worker_stalled_s)
    return PlainTextResponse(body, media_type="text/plain; version=0.0.4; charset=utf-8")


@router.get("/api/openapi.json")
def openapi(request: Request, _user: CurrentUser) -> Response:
    """The OpenAPI document of the JSON API (signed-in users only)."""
    return JSONResponse(request.app.openapi())
