"""One pair of emulators for every example, and a template installation each example copies."""

from __future__ import annotations

from collections.abc import Iterator

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
    """Start the emulators once; build one signed-in installation to copy per example."""
    root = tmp_path_factory.mktemp("statemachine")
    emus = Emulators.start(root)
    emus.reset()
    template = root / "template"
    world = World(emus, template)
    world.close()
    Context.emus, Context.template, Context.workdir = emus, template, root / "work"
    yield Context
    emus.stop()
