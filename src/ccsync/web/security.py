"""ASGI middlewares that guard every request before any handler (or other middleware) runs.

``BodyLimitMiddleware`` refuses bodies over the limit (413) from ``Content-Length`` at once and
by counting streamed bytes, so nothing buffers more than the limit. ``SecurityHeadersMiddleware``
refuses cross-origin state-changing requests (403) and adds the security headers (CSP without
inline scripts, no framing, ``nosniff``, referrer policy) to every answer.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}


class BodyTooLarge(Exception):
    """The streamed body passed the limit."""


def _wants_json(scope: Scope) -> bool:
    path = str(scope.get("path", ""))
    return path.startswith("/api/") or path in ("/healthz", "/metrics")


async def _refuse(scope: Scope, send: Send, status: int, text: str) -> None:
    if _wants_json(scope):
        body = json.dumps({"detail": text}).encode()
        kind = b"application/json"
    else:
        body = text.encode()
        kind = b"text/plain; charset=utf-8"
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in HEADERS.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """413 for bodies over ``max_bytes`` (declared or streamed), before anything reads them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.message = (
            f"The request body is too large: the limit is {_size(max_bytes)} "
            "(setting CCSYNC_MAX_BODY_BYTES)."
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                await _refuse(scope, send, 400, "Invalid Content-Length header.")
                return
            if too_big:
                await _refuse(scope, send, 413, self.message)
                return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _refuse(scope, send, 413, self.message)


def _size(n: int) -> str:
    if n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MB"
    if n % 1024 == 0:
        return f"{n // 1024} KB"
    return f"{n} bytes"


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url`` (lower case), or "" when it has none."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


class SecurityHeadersMiddleware:
    """Security headers on every answer; 403 for a state-changing request from another origin.

    A request's ``Origin`` (or, without one, its ``Referer``) must be the app's own origin: the
    configured base URL or the origin the request was sent to. Requests with neither header
    (API clients, curl) still need the CSRF token.
    """

    def __init__(self, app: ASGIApp, base_url: str) -> None:
        self.app = app
        self.base_origin = origin_of(base_url)

    def _same_origin(self, scope: Scope, headers: Headers) -> bool:
        claimed = headers.get("origin")
        if claimed is None:
            referer = headers.get("referer")
            if referer is None:
                return True
            claimed = origin_of(referer)
        claimed = claimed.lower()
        host = headers.get("host", "")
        own = f"{scope.get('scheme', 'http')}://{host}".lower() if host else ""
        return claimed in (self.base_origin, own)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if scope["method"] not in SAFE_METHODS and not self._same_origin(scope, headers):
            await _refuse(scope, send, 403, "Cross-origin request refused.")
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                for key, value in HEADERS.items():
                    if key not in out:
                        out[key] = value
            await send(message)

        await self.app(scope, receive, with_headers)
