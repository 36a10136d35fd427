"""One emulator subprocess for the whole directory, reset before each test.

One process instead of one per module keeps the suite inside its time budget on 2 cores.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .driver import CC, start

# ``start_ccsync`` leaves the subprocess log file to the garbage collector (known to the lead).
LOG_LEAK = "ignore:Exception ignored in. <_io.FileIO name='[^']*\\.log' mode='wb'"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """These tests run emulator subprocesses: mark them and tolerate only the log-file leak."""
    for item in items:
        if "cc_emulator" in str(item.path):
            item.add_marker(pytest.mark.integration)
            item.add_marker(pytest.mark.filterwarnings(LOG_LEAK))


@pytest.fixture(scope="package")
def cc_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CC]:
    """The shared emulator (rate limits off, fast activities, two accounts)."""
    emu = start(tmp_path_factory.mktemp("cc"))
    yield emu
    emu.close()


@pytest.fixture()
def cc(cc_module: CC) -> CC:
    """The shared emulator, emptied and with default settings."""
    cc_module.reset()
    return cc_module


@pytest.fixture()
def tmp(tmp_path: Path) -> Path:
    """A per-test directory for emulators a test starts itself."""
    return tmp_path
