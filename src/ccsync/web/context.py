"""``WebContext``: what every request handler reaches through ``request.app.state.ctx``.

Its own module (``create_app`` in ``web/app.py`` builds it) so that the helpers and routes that
take it import neither the app nor each other through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ccsync.jobs.backend import ServingBackend
from ccsync.settings import AppSettings
from ccsync.web.throttle import HashingGate, LoginThrottle


@dataclass(slots=True)
class WebContext:
    """What every request handler reaches through ``request.app.state.ctx``."""

    settings: AppSettings
    engine: Engine
    sessions: sessionmaker[Session]
    backend: ServingBackend
    throttle: LoginThrottle = field(default_factory=lambda: LoginThrottle(free=5, max_wait=900))
    hashing: HashingGate = field(default_factory=lambda: HashingGate(4))
