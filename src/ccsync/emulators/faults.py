"""Fault injection shared by both emulators (``/_emulator/faults``).

A rule matches requests by method and path prefix and fires either with a probability (seeded,
so a test run is repeatable) or for the next ``count`` matching requests. It answers with a
status and body, delays the answer, or drops the connection half-way through the response.
``lost`` applies the request and then drops the answer ("applied but answer lost"); ``hold``
keeps the connection open without answering until the client goes away (a kill lands while the
client waits), after applying the request when ``apply`` is set. ``skip`` lets that many
matching requests through before a rule fires; ``fired`` counts how often it did (for ``hold``,
once the request is held, so a test can kill its client at that point). Control paths
(``/_emulator/``) are never faulted.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTROL_PREFIX = "/_emulator"


@dataclass(slots=True)
class FaultRule:
    """One fault. ``kind`` is ``status``, ``slow``, ``drop``, ``lost`` or ``hold``."""

    kind: str = "status"
    status: int = 500
    body: Any = None
    content_type: str = "application/json"
    delay: float = 0.0
    probability: float | None = None
    count: int | None = 1
    method: str | None = None
    path_prefix: str = ""
    operation: str | None = None
    skip: int = 0
    apply: bool = False
    hold: float = 60.0
    fired: int = 0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultRule:
        """Build a rule from a control request body, ignoring unknown keys."""
        known = {k: v for k, v in data.items() if k in cls.__slots__}
        return cls(**known)

    def matches(self, method: str, path: str, operation: str | None) -> bool:
        """Whether this rule applies to a request (``method``/``operation`` may be ``a|b``)."""
        if self.method and method.upper() not in self.method.upper().split("|"):
            return False
        if self.operation and (operation or "").lower() not in self.operation.lower().split("|"):
            return False
        return path.startswith(self.path_prefix)


class FaultInjector:
    """The live set of rules plus a seeded random source."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._random = random.Random(seed)
        self.fired = 0

    def set_rules(self, rules: list[FaultRule], seed: int | None = None) -> None:
        """Replace all rules (and optionally reseed)."""
        with self._lock:
            self._rules = list(rules)
            if seed is not None:
                self._random.seed(seed)

    def clear(self) -> None:
        """Remove every rule."""
        self.set_rules([])

    def pick(self, method: str, path: str, operation: str | None = None) -> FaultRule | None:
        """The rule that fires for this request, if any (consumes counted rules)."""
        if path.startswith(CONTROL_PREFIX):
            return None
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path, operation):
                    continue
                if rule.skip > 0:
                    rule.skip -= 1
                    continue
                if rule.probability is not None:
                    if self._random.random() >= rule.probability:
                        continue
                elif rule.count is not None:
                    if rule.count <= 0:
                        continue
                    rule.count -= 1
                self.fired += 1
                if rule.kind != "hold":
                    rule.fired += 1
                return rule
        return None

    def describe(self) -> list[dict[str, Any]]:
        """The rules as JSON."""
        with self._lock:
            return [{k: getattr(r, k) for k in FaultRule.__slots__} for r in self._rules]


class FaultMiddleware:
    """ASGI middleware applying ``FaultInjector`` rules before the app sees the request.

    ``operation_of`` may extract an operation name (Vtiger's ``operation`` parameter) from the
    query string so rules can target one operation.
    """

    def __init__(self, app: ASGIApp, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        operation = _operation_from_query(scope.get("query_string", b""))
        rule = self.injector.pick(scope["method"], scope["path"], operation)
        if rule is None:
            await self.app(scope, receive, send)
        else:
            await respond(rule, self.app, scope, receive, send)


async def respond(
    rule: FaultRule, app: ASGIApp, scope: Scope, receive: Receive, send: Send
) -> None:
    """Carry out a picked rule (for middlewares that find the operation elsewhere)."""
    if rule.delay:
        await asyncio.sleep(rule.delay)
    if rule.kind == "slow":
        await app(scope, receive, send)
    elif rule.kind == "drop":
        await _drop(send)
    elif rule.kind in ("lost", "hold"):
        await _lose_answer(rule, app, scope, receive, send)
    else:
        await _answer(send, rule)


def _operation_from_query(raw: bytes) -> str | None:
    for part in raw.decode("latin-1").split("&"):
        if part.lower().startswith("operation="):
            return part.split("=", 1)[1]
    return None


async def _answer(send: Send, rule: FaultRule) -> None:
    if rule.body is None:
        payload = b""
    elif isinstance(rule.body, str):
        payload = rule.body.encode()
    else:
        payload = json.dumps(rule.body).encode()
    headers = [(b"content-length", str(len(payload)).encode())]
    if payload:
        headers.append((b"content-type", rule.content_type.encode()))
    start: Message = {"type": "http.response.start", "status": rule.status, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": payload})


async def _drop(send: Send) -> None:
    """Promise a body, send part of it, then fail: the client sees a broken connection."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", b"1000"), (b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"partial":', "more_body": True})
    raise ConnectionAbortedError("fault injection: connection dropped")


async def _lose_answer(
    rule: FaultRule, app: ASGIApp, scope: Scope, receive: Receive, send: Send
) -> None:
    """Apply the request (``lost``, or ``hold`` with ``apply``), discard its answer, drop it."""
    if rule.kind == "lost" or rule.apply:

        async def discard(message: Message) -> None:
            return None

        await app(scope, receive, discard)
    if rule.kind == "hold":
        rule.fired += 1  # counted once the request is held (and applied if asked)
        if await _client_left(receive, rule.hold):
            return
    await _drop(send)


async def _client_left(receive: Receive, limit: float) -> bool:
    """Wait until the client closes the connection (True) or ``limit`` seconds pass (False)."""

    async def wait() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(wait(), limit)
    except TimeoutError:
        return False
    return True
