"""Run an ASGI app on loopback and announce where it listens once the socket is bound."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Callable

import uvicorn
from starlette.types import ASGIApp


def bind(host: str, port: int) -> socket.socket:
    """Bind a listening socket (``port`` 0 picks a free one)."""
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted sockets only when the
    # proto says TCP; without it every keep-alive response waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def run(
    app: ASGIApp,
    host: str,
    port: int,
    announce: Callable[[str], list[str]],
    http: type[asyncio.Protocol] | str = "auto",
) -> None:
    """Serve ``app`` until interrupted; print ``announce(base_url)`` lines when ready.

    ``http`` selects uvicorn's HTTP protocol (a class, e.g. one that writes custom reason
    phrases, or a uvicorn name such as ``"h11"``).
    """
    sock = bind(host, port)
    base_url = f"http://{host}:{sock.getsockname()[1]}"
    for line in announce(base_url):
        print(line)
    sys.stdout.flush()
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", http=http)
    uvicorn.Server(config).run(sockets=[sock])
