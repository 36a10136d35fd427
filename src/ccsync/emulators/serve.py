"""Run an ASGI app on loopback and announce where it listens once the socket is bound."""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable

import uvicorn
from starlette.types import ASGIApp


def bind(host: str, port: int) -> socket.socket:
    """Bind a listening socket (``port`` 0 picks a free one)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def run(app: ASGIApp, host: str, port: int, announce: Callable[[str], list[str]]) -> None:
    """Serve ``app`` until interrupted; print ``announce(base_url)`` lines when ready."""
    sock = bind(host, port)
    base_url = f"http://{host}:{sock.getsockname()[1]}"
    for line in announce(base_url):
        print(line)
    sys.stdout.flush()
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
