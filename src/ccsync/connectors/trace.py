"""Debug-log tracing of remote calls, with redaction.

Connectors build their ``httpx2.Client`` with ``event_hooks=trace_hooks(sink)``; every request and
response then reaches ``sink`` as a ``TraceEntry`` whose URL, headers and bodies have had tokens,
secrets, access keys, session ids and authorization codes replaced by ``***``. Bodies are capped at
``MAX_BODY`` bytes (the Debug Log keeps 64 KB an entry).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx2

MAX_BODY = 64 * 1024
MASK = "***"

SENSITIVE_KEYS = (
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "accessKey",
    "access_key",
    "sessionName",
    "code",
    "code_verifier",
    "password",
    "token",
    "state",
)
SENSITIVE_HEADERS = ("authorization", "cookie", "set-cookie", "x-csrftoken")

_KEYS = "|".join(re.escape(k) for k in SENSITIVE_KEYS)
# key=value in query strings and form bodies
_FORM_RE = re.compile(rf"(?i)(?<![A-Za-z0-9_])({_KEYS})=([^&\s\"']+)")
# "key": "value" in JSON bodies
_JSON_RE = re.compile(rf'(?i)"({_KEYS})"\s*:\s*"([^"]*)"')
_BEARER_RE = re.compile(r"(?i)(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")


def redact(text: str) -> str:
    """Mask every sensitive value in a URL, header value or body."""
    text = _FORM_RE.sub(lambda m: f"{m.group(1)}={MASK}", text)
    text = _JSON_RE.sub(lambda m: f'"{m.group(1)}": "{MASK}"', text)
    return _BEARER_RE.sub(lambda m: f"{m.group(1)} {MASK}", text)


def redact_headers(headers: httpx2.Headers) -> dict[str, str]:
    """Headers as a dict with credentials masked."""
    return {k: (MASK if k.lower() in SENSITIVE_HEADERS else redact(v)) for k, v in headers.items()}


def _cap(raw: bytes) -> str:
    text = raw[:MAX_BODY].decode("utf-8", errors="replace")
    if len(raw) > MAX_BODY:
        text += f"\n… [{len(raw) - MAX_BODY} more bytes not kept]"
    return redact(text)


@dataclass(frozen=True, slots=True)
class TraceEntry:
    """One remote request and its response, already redacted."""

    at: datetime
    method: str
    url: str
    status: int | None
    duration_ms: float
    request_headers: dict[str, str]
    request_body: str
    response_headers: dict[str, str]
    response_body: str


TraceSink = Callable[[TraceEntry], None]


def trace_hooks(sink: TraceSink) -> dict[str, list[Callable[..., Any]]]:
    """``event_hooks`` for an ``httpx2.Client`` that report every exchange to ``sink``."""

    def on_request(request: httpx2.Request) -> None:
        request.extensions["ccsync_started"] = time.monotonic()

    def on_response(response: httpx2.Response) -> None:
        response.read()
        request = response.request
        started = request.extensions.get("ccsync_started", time.monotonic())
        sink(
            TraceEntry(
                at=datetime.now(UTC),
                method=request.method,
                url=redact(str(request.url)),
                status=response.status_code,
                duration_ms=round((time.monotonic() - started) * 1000, 1),
                request_headers=redact_headers(request.headers),
                request_body=_cap(request.content),
                response_headers=redact_headers(response.headers),
                response_body=_cap(response.content),
            )
        )

    return {"request": [on_request], "response": [on_response]}
