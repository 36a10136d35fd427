"""Jinja2 rendering with the context every page needs: user, CSRF token, flash messages."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
FLASH_KEY = "_flashes"


def flash(request: Request, text: str, kind: str = "success") -> None:
    """Queue a message for the next page this browser renders."""
    request.session.setdefault(FLASH_KEY, []).append({"kind": kind, "text": text})
    request.session[FLASH_KEY] = list(request.session[FLASH_KEY])


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render ``name`` with ``context`` plus the common page context."""
    flashes = request.session.pop(FLASH_KEY, []) if "session" in request.scope else []
    base: dict[str, Any] = {
        "user": getattr(request.state, "user", None),
        "csrf_token": request.cookies.get("csrftoken", ""),
        "flashes": flashes,
    }
    base.update(context)
    return TEMPLATES.TemplateResponse(request, name, base, status_code=status_code)


def local_time(value: datetime | None, zone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """``value`` (UTC or naive UTC) shown in the IANA ``zone``, e.g. ``2026-11-26 22:05``."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    return value.astimezone(tz).strftime(fmt)


def mask_secret(value: str | None) -> str:
    """A secret as the UI may show it: the last four characters only (``••••cret``)."""
    if not value:
        return ""
    return "••••" + value[-4:] if len(value) > 8 else "••••"


TEMPLATES.env.filters["local_time"] = local_time
TEMPLATES.env.filters["mask_secret"] = mask_secret
