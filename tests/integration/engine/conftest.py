"""Fixtures of the end-to-end sync tests: one pair of emulators per session, a fresh store each."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ccsync.engine import outcome
from integration.engine.harness import Emulators, World

# ``start_ccsync`` leaves the subprocess log file to the garbage collector (known; reported).
LOG_LEAK = "ignore:Exception ignored in. <_io.FileIO name='[^']*\\.log' mode='wb'"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark these tests as integration tests and tolerate the known log-file leak only."""
    for item in items:
        if "integration/engine" in str(item.path):
            item.add_marker(pytest.mark.integration)
            item.add_marker(pytest.mark.filterwarnings(LOG_LEAK))


@pytest.fixture(scope="session")
def emulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulators]:
    """Both emulators, started once (rate limits and quotas off)."""
    emus = Emulators.start(tmp_path_factory.mktemp("emulators"))
    yield emus
    emus.stop()


@pytest.fixture
def world(emulators: Emulators, tmp_path: Path) -> Iterator[World]:
    """Empty emulators and a fresh installation with one signed-in connector."""
    emulators.reset()
    outcome.write_hook = None
    w = World(emulators, tmp_path / "data")
    yield w
    outcome.write_hook = None
    w.close()
