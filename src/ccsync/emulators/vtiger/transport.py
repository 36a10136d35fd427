"""HTTP plumbing: custom reason phrases (Vtiger Cloud puts error messages there) and faults
that can target a Vtiger operation named in a POST body or in a restapi path."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from ccsync.emulators.faults import CONTROL_PREFIX, FaultInjector, respond

REASON_HEADER = b"x-emulator-reason"
RESTAPI_PREFIX = "/restapi/v1/vtiger/default/"


def reason_header(message: str) -> tuple[bytes, bytes]:
    """A response header asking the server to use ``message`` as the reason phrase."""
    safe = " ".join(message.split()).encode("latin-1", "replace")
    return REASON_HEADER, safe or b"Error"


def rewrite_status_line(data: bytes) -> bytes:
    """Move an ``x-emulator-reason`` header's value into the status line of a response head."""
    if not data.startswith(b"HTTP/1."):
        return data
    head, sep, rest = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    reason = None
    kept = [lines[0]]
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == REASON_HEADER:
            reason = value.strip()
        else:
            kept.append(line)
    if reason is None:
        return data
    version, status, _ = (lines[0].split(b" ", 2) + [b""])[:3]
    kept[0] = b" ".join((version, status, reason))
    return b"\r\n".join(kept) + sep + rest


class _ReasonTransport:
    """Delegates to the real transport, rewriting response heads on the way out."""

    def __init__(self, inner: asyncio.Transport) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._inner.write(rewrite_status_line(bytes(data)))


class ReasonPhraseProtocol(H11Protocol):
    """uvicorn's h11 protocol always writes the standard phrase; this one honours the header."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_ReasonTransport(transport))  # type: ignore[arg-type]


class OperationFaultMiddleware:
    """Fault injection where rules may name a Vtiger operation wherever the request carries it."""

    def __init__(self, app: ASGIApp, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        replay = _replay(body, receive)
        rule = self.injector.pick(scope["method"], scope["path"], operation_of(scope, body))
        if rule is None:
            await self.app(scope, replay, send)
        else:
            await respond(rule, self.app, scope, replay, send)


def operation_of(scope: Scope, body: bytes) -> str | None:
    """The Vtiger operation of a request: restapi path segment, query string or form body."""
    path: str = scope["path"]
    if path.startswith(RESTAPI_PREFIX):
        return path[len(RESTAPI_PREFIX) :].strip("/") or None
    raw_query: bytes = scope.get("query_string", b"")
    for raw in (raw_query, body):
        values = parse_qs(raw.decode("latin-1")).get("operation")
        if values:
            return str(values[0])
    return None


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes, original: Receive) -> Receive:
    """Hand the buffered body to the app once, then pass through (e.g. disconnects)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await original()

    return receive
