"""One pair of emulators for every example, and a template installation each example copies."""

from __future__ import annotations

import functools
import ssl
from collections.abc import Iterator

import httpcore2
import pytest

from integration.engine.harness import Emulators, World
from statemachine.machine import Context

LOG_LEAK = "ignore:Exception ignored in. <_io.FileIO name='[^']*\\.log' mode='wb'"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark these tests and tolerate the known log-file leak of ``start_ccsync`` only."""
    for item in items:
        if "statemachine" in str(item.path):
            item.add_marker(pytest.mark.statemachine)
            item.add_marker(pytest.mark.filterwarnings(LOG_LEAK))


@pytest.fixture(scope="session")
def machine_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[type[Context]]:
    """Start the emulators once; build one signed-in installation to copy per example.

    Every run builds two HTTP clients, and each loads the system CA bundle (~50 ms on a loaded
    machine, a third of a quiet run) although every request here is plain HTTP on loopback: the
    examples share one default context instead.
    """
    shared = functools.cache(httpcore2.default_ssl_context)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(httpcore2, "default_ssl_context", _shared(shared))
        root = tmp_path_factory.mktemp("statemachine")
        emus = Emulators.start(root)
        emus.reset()
        template = root / "template"
        world = World(emus, template)
        world.close()
        Context.emus, Context.template, Context.workdir = emus, template, root / "work"
        yield Context
        emus.stop()


def _shared(cached: functools._lru_cache_wrapper[ssl.SSLContext]) -> object:
    def default_ssl_context(*, _trust_env: bool = True) -> ssl.SSLContext:
        return cached(_trust_env=_trust_env)

    return default_ssl_context
