"""CSRF protection for forms and API calls (double-submit cookie, starlette-csrf).

starlette-csrf reads the submitted token only from the ``x-csrftoken`` header, which htmx sends
through ``hx-headers``. Plain HTML forms post it as the hidden field ``csrftoken`` instead, so this
subclass also looks in a url-encoded body. Reading the body in a middleware consumes
the ASGI ``receive`` stream, so the bytes are replayed to the application afterwards (the body
is bounded by ``BodyLimitMiddleware``, which runs before this one).

The token is tied to the session: sign-in issues a fresh token and keeps it in the (signed)
session, and a signed-in request must carry that very token — a token planted in the cookie by
someone else does not pass.
"""

from __future__ import annotations

import secrets
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from itsdangerous.url_safe import URLSafeSerializer
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send
from starlette_csrf.middleware import CSRFMiddleware

FIELD_NAME = "csrftoken"
COOKIE_NAME = "csrftoken"
SESSION_KEY = "csrf"


def new_csrf_token(secret: str) -> str:
    """A fresh token in starlette-csrf's format (signed with the session secret)."""
    return str(URLSafeSerializer(secret, "csrftoken").dumps(secrets.token_urlsafe(32)))


def csrf_cookie(token: str, *, secure: bool) -> dict[str, Any]:
    """Keyword arguments of ``Response.set_cookie`` for the CSRF cookie."""
    return {
        "key": COOKIE_NAME,
        "value": token,
        "path": "/",
        "samesite": "lax",
        "secure": secure,
        "httponly": False,
    }


class FormCSRFMiddleware(CSRFMiddleware):
    """``CSRFMiddleware`` that also accepts the token as the form field ``csrftoken``."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.cookie_name not in Request(scope).cookies:
            send = self._issue_token(scope, send, _session_token(scope))
        if scope["method"] in self.safe_methods:
            await super().__call__(scope, receive, send)
            return
        body = await _read_body(receive)
        scope.setdefault("state", {})["csrf_body"] = body
        await super().__call__(scope, _replay(body), send)

    def _issue_token(self, scope: Scope, send: Send, bound: str | None) -> Send:
        """Give a first visit its token now, so the very first page can render it.

        The token is added to the request's cookies (templates read it there, and the base class
        then sees a cookie and sets none) and sent back as ``Set-Cookie`` with the response. A
        signed-in browser that lost its cookie gets its session's token back.
        """
        token = bound or self._generate_csrf_token()
        scope["headers"] = [*scope["headers"], (b"cookie", f"{self.cookie_name}={token}".encode())]
        cookie = SimpleCookie()
        cookie[self.cookie_name] = token
        cookie[self.cookie_name]["path"] = self.cookie_path
        cookie[self.cookie_name]["samesite"] = self.cookie_samesite
        if self.cookie_secure:
            cookie[self.cookie_name]["secure"] = True
        set_cookie = cookie.output(header="").strip()

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("set-cookie", set_cookie)
            await send(message)

        return wrapped

    async def _get_submitted_csrf_token(self, request: Request) -> str | None:
        bound = _session_token(request.scope)
        if bound is not None and request.cookies.get(self.cookie_name) != bound:
            return None  # not the token this session was given
        header = request.headers.get(self.header_name)
        if header:
            return str(header)
        body: bytes = request.scope.get("state", {}).get("csrf_body", b"")
        return _token_from_body(request.headers.get("content-type", ""), body)


def _session_token(scope: Scope) -> str | None:
    session = scope.get("session")
    token = session.get(SESSION_KEY) if isinstance(session, dict) else None
    return token if isinstance(token, str) else None


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


def _token_from_body(content_type: str, body: bytes) -> str | None:
    # Our forms are url-encoded; any other body (JSON, multipart) must send the header. The size
    # is already bounded by the body limit, so a large form still finds its token.
    if not content_type.startswith("application/x-www-form-urlencoded"):
        return None
    values = parse_qs(body.decode("latin-1")).get(FIELD_NAME)
    return values[0] if values else None
