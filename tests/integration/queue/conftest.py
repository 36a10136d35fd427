"""Fixtures of the job-queue tests: emulators with 50 CC accounts and 50 Vtiger users (one
pair per session), and a fresh PostgreSQL installation (``Fleet``) per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from integration.engine.harness import Emulators
from integration.queue.fleet import Fleet, vtiger_users

ACCOUNTS = 50
# ``start_ccsync`` leaves the subprocess log file to the garbage collector (known; reported).
LOG_LEAK = "ignore:Exception ignored in. <_io.FileIO name='[^']*\\.log' mode='wb'"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """These tests need PostgreSQL and start processes."""
    for item in items:
        if "integration/queue" in str(item.path):
            item.add_marker(pytest.mark.integration)
            item.add_marker(pytest.mark.postgres)
            item.add_marker(pytest.mark.filterwarnings(LOG_LEAK))


@pytest.fixture(scope="session")
def queue_emulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulators]:
    """Both emulators: CC with 50 accounts on one application, Vtiger with users u1…u50."""
    emus = Emulators.start(
        tmp_path_factory.mktemp("queue-emulators"),
        cc_args=("--accounts", str(ACCOUNTS)),
        vt_args=vtiger_users(ACCOUNTS),
    )
    yield emus
    emus.stop()


@pytest.fixture
def fleet(queue_emulators: Emulators, tmp_path: Path) -> Iterator[Fleet]:
    """Empty emulators and a fresh PostgreSQL database (dropped after the test)."""
    queue_emulators.reset()
    queue_emulators.post(queue_emulators.cc, "/_emulator/config", {"rate_limit": 0})
    f = Fleet(queue_emulators, tmp_path)
    try:
        yield f
    finally:
        f.close()
