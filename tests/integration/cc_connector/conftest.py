"""Shared set-up of the Constant Contact connector integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ccsync.connectors.constantcontact.connector import ConstantContactConnector

from .ccemu import Emulator, start_emulator

SEEDED = 1100


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark these tests as integration tests and tolerate one known leak of the test support.

    ``tests/support/processes.py::start_ccsync`` opens the subprocess log file and never closes
    it, so the garbage collector reports an unclosed ``.log`` FileIO; only that exact warning is
    ignored (reported to the lead), every other warning still fails the test.
    """
    leak = "ignore:Exception ignored in. <_io.FileIO name='[^']*\\.log' mode='wb'"
    for item in items:
        if "cc_connector" in str(item.path):
            item.add_marker(pytest.mark.integration)
            item.add_marker(pytest.mark.filterwarnings(leak))


@pytest.fixture
def closing() -> Iterator[list[ConstantContactConnector]]:
    """Connectors appended here are closed after the test, pass or fail."""
    made: list[ConstantContactConnector] = []
    yield made
    for connector in made:
        connector.close()


@pytest.fixture(scope="session")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """One default-profile emulator for the whole package (rate limits off, fast activities).

    Tests share it and therefore compare against what the emulator holds right now, never
    against absolute counts; tests that need other flags start their own emulator.
    """
    path = tmp_path_factory.mktemp("cc-shared")
    args = ("--seed-contacts", str(SEEDED), "--activity-rate", "100000", "--auto-approve")
    emulator = start_emulator(path, *args)
    yield emulator
    emulator.stop()
