"""The one registry of providers: a name → the side it plays and how to build its connector.

A provider is a package of ``ccsync.connectors`` (or a test's module) that owns a settings model
(``config_model``, a ``ProviderConfig``: its side's part of a connector's settings) and builds a
``Connector`` from a ``BuildContext``: that part, typed and holding its secrets, plus what the
host lends it (data directory, token store, shared daily budget and the share of it a run may
use, trace sink, and whether several machines share the installation: then the database where
rate limiters are shared). The built-in
providers (``vtiger`` for the CRM, ``constantcontact`` for the email-marketing side) are
registered when ``ccsync.connectors`` is imported; the engine builds connectors only through
``provider(name)`` and never imports a provider package.

Example::

    register(Provider("vtiger", "crm", build, config_model=VtigerConfig))
    register(Provider("memory", "crm", lambda ctx: MemoryConnector(...)))  # no settings
    connector = provider("memory").build(context)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ccsync.connectors.base import Connector, DailyBudget, Side
from ccsync.connectors.provider_config import P, ProviderConfig, part_as
from ccsync.connectors.tokens import TokenStore
from ccsync.connectors.trace import TraceSink
from ccsync.errors import ConfigError


@dataclass(frozen=True, slots=True)
class BuildContext:
    """What a provider gets to build the connector of one stored connector.

    Attributes:
        connector_id: the stored connector's id (a key for per-connector files).
        config: the provider's part of the connector's settings, an instance of its
            ``config_model`` (defaults filled in, secrets decrypted).
        extended_mapping: the sync maps the extended rows (a CRM may then resolve the company
            reference to its name).
        data_dir: the installation's data directory (lock files, caches, limiter files).
        tokens: the connector's OAuth token store (for providers that sign in with OAuth).
        budget: the daily call budget shared by every process of the installation.
        budget_share: the share of its daily quota this run may bring the shared budget up to
            (below 1 for a first sync: it leaves the rest of the day to the quiet runs).
        shared: several machines run the installation's connectors (one PostgreSQL store): a
            provider paces more carefully when its rate limit counts arrivals.
        limiter_url: the PostgreSQL database (libpq URL) where rate limiters are shared by every
            machine, or None (limiters are files in ``data_dir``, shared by its processes).
        trace: receives every request and response, redacted (Debug Mode), or None.
    """

    connector_id: int
    data_dir: Path
    tokens: TokenStore
    budget: DailyBudget
    config: ProviderConfig = field(default_factory=ProviderConfig)
    extended_mapping: bool = False
    budget_share: float = 1.0
    shared: bool = False
    limiter_url: str | None = field(default=None, repr=False)
    trace: TraceSink | None = None

    def config_as(self, model: type[P]) -> P:
        """The provider's settings as its own model (raises ``ConfigError`` for another)."""
        return part_as(self.config, model)


@dataclass(frozen=True, slots=True)
class Provider:
    """A provider: its name, the side it plays, its connector factory, its settings model
    (``ProviderConfig`` itself for a provider with no settings) and what releases what it holds
    for the whole process (connection pools of shared limiters), if anything."""

    name: str
    side: Side
    build: Callable[[BuildContext], Connector]
    config_model: type[ProviderConfig] = ProviderConfig
    release: Callable[[], None] | None = None


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


def release_all() -> None:
    """Let every provider release what it holds for the process (at the end of a worker)."""
    with _LOCK:
        releases = [p.release for p in _PROVIDERS.values() if p.release is not None]
    for release in releases:
        release()


def names(side: Side | None = None) -> list[str]:
    """The registered providers' names (of ``side`` only, when given), sorted."""
    with _LOCK:
        return sorted(n for n, p in _PROVIDERS.items() if side is None or p.side == side)
