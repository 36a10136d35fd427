"""``/healthz`` and ``/metrics`` (Prometheus text format)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import text

from ccsync.web.deps import get_ctx
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
    """Runs by status, records by action, last run time per connector."""
    body = render_metrics(get_ctx(request).sessions)
    return PlainTextResponse(body, media_type="text/plain; version=0.0.4; charset=utf-8")
