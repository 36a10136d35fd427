"""Shared set-up of the Vtiger connector integration tests (emulator subprocesses)."""

from __future__ import annotations

import pytest

# ``start_ccsync`` leaves the subprocess log file to the garbage collector (reported to the lead).
LOG_LEAK = "ignore:Exception ignored in. <_io.FileIO name='[^']*\\.log' mode='wb'"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark these tests as integration tests and tolerate the known log-file leak only."""
    for item in items:
        if "vtiger_connector" in str(item.path):
            item.add_marker(pytest.mark.integration)
            item.add_marker(pytest.mark.filterwarnings(LOG_LEAK))
