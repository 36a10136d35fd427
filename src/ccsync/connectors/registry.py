"""The one registry of providers: a name → the side it plays and how to build its connector.

A provider is a package of ``ccsync.connectors`` (or a test's module) that builds a ``Connector``
from a ``BuildContext``: the stored connector's settings and secrets, plus what the host lends it
(data directory, token store, shared daily budget, trace sink). The built-in providers (``vtiger``
for the CRM, ``constantcontact`` for the email-marketing side) are registered when
``ccsync.connectors`` is imported; the engine builds connectors only through ``provider(name)``
and never imports a provider package.

Example::

    register(Provider("memory", "crm", lambda ctx: MemoryConnector(...)))
    connector = provider("memory").build(context)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ccsync.connectors.base import Connector, DailyBudget, Side
from ccsync.connectors.tokens import TokenStore
from ccsync.connectors.trace import TraceSink
from ccsync.errors import ConfigError


@dataclass(frozen=True, slots=True)
class BuildContext:
    """What a provider gets to build the connector of one stored connector.

    Attributes:
        connector_id: the stored connector's id (a key for per-connector files).
        settings: the connector's settings, every known key present (defaults filled in).
        secrets: decrypted secrets by name (``client_secret``, ``access_key``); "" when unset.
        data_dir: the installation's data directory (lock files, caches, limiter files).
        tokens: the connector's OAuth token store (for providers that sign in with OAuth).
        budget: the daily call budget shared by every process of the installation.
        trace: receives every request and response, redacted (Debug Mode), or None.
    """

    connector_id: int
    settings: Mapping[str, Any]
    data_dir: Path
    tokens: TokenStore
    budget: DailyBudget
    secrets: Mapping[str, str] = field(default_factory=dict)
    trace: TraceSink | None = None

    def secret(self, name: str) -> str:
        """The secret ``name`` ("" when unset)."""
        return self.secrets.get(name) or ""


@dataclass(frozen=True, slots=True)
class Provider:
    """A provider: its name, the side it plays, and its connector factory."""

    name: str
    side: Side
    build: Callable[[BuildContext], Connector]


_PROVIDERS: dict[str, Provider] = {}
_LOCK = threading.Lock()


def register(entry: Provider) -> None:
    """Add (or replace) the provider called ``entry.name``."""
    with _LOCK:
        _PROVIDERS[entry.name] = entry


def unregister(name: str) -> None:
    """Remove the provider called ``name`` (tests that registered one); unknown is fine."""
    with _LOCK:
        _PROVIDERS.pop(name, None)


def provider(name: str, side: Side | None = None) -> Provider:
    """The provider called ``name`` (that plays ``side``, when given).

    Raises:
        ConfigError: no such provider, or it plays the other side.
    """
    with _LOCK:
        found = _PROVIDERS.get(name)
    if found is None:
        known = ", ".join(sorted(_PROVIDERS)) or "none"
        raise ConfigError(f"unknown connector provider {name!r} (known: {known})")
    if side is not None and found.side != side:
        raise ConfigError(f"provider {name!r} plays the {found.side} side, not {side}")
    return found


def names(side: Side | None = None) -> list[str]:
    """The registered providers' names (of ``side`` only, when given), sorted."""
    with _LOCK:
        return sorted(n for n, p in _PROVIDERS.items() if side is None or p.side == side)
