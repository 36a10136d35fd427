"""Serving an ASGI app on a bound socket (``ccsync serve`` and ``ccsync demo``)."""

from __future__ import annotations

import uvicorn

from ccsync.cli.common import console
from ccsync.emulators.serve import bind


def run_app(app: object, host: str, port: int, announce: str) -> None:
    """Serve an ASGI ``app`` on a bound socket; print ``announce`` (with ``{port}``) when ready."""
    sock = bind(host, port)
    console.print(announce.format(port=sock.getsockname()[1]), highlight=False)
    # Browsers keep connections open; a bounded graceful shutdown lets Ctrl-C/SIGTERM finish.
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=3,
    )
    uvicorn.Server(config).run(sockets=[sock])
