"""One webservice emulator and one restapi emulator shared by the module's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .client import Proc, Vt, start_vtiger

# ``start_ccsync`` leaves the subprocess log file to the garbage collector (known to the lead).
LOG_LEAK = "ignore:Exception ignored in. <_io.FileIO name='[^']*\\.log' mode='wb'"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """These tests run emulator subprocesses: mark them and tolerate only the log-file leak."""
    for item in items:
        if "vtiger_emulator" in str(item.path):
            item.add_marker(pytest.mark.integration)
            item.add_marker(pytest.mark.filterwarnings(LOG_LEAK))


@pytest.fixture(scope="session")
def vt_proc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proc]:
    """The main emulator: sync broken as on real 8.2; also serves the restapi flavour.

    Vtiger Cloud serves webservice.php too, so one process covers both endpoints; the small
    quotas (10 a minute, 25 a day) apply to the restapi endpoint only.
    """
    args = (
        "--flavour",
        "restapi",
        "--quota-minute",
        "10",
        "--quota-hour",
        "0",
        "--quota-day",
        "25",
    )
    proc = start_vtiger(tmp_path_factory.mktemp("vt"), *args)
    yield proc
    proc.stop()


@pytest.fixture
def vt(vt_proc: Proc) -> Iterator[Vt]:
    """A fresh (reset) emulator with an admin session."""
    client = Vt(vt_proc.base_url)
    client.control("POST", "/reset", {"seed_contacts": 0})
    yield client.login()
    client.close()


@pytest.fixture(scope="session")
def vt_working_proc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proc]:
    """An emulator whose ``sync`` works (older PHP) and sessions never idle out (replays)."""
    args = ("--sync-operation", "working", "--session-idle", "1000000")
    proc = start_vtiger(tmp_path_factory.mktemp("vtw"), *args, name="vtw")
    yield proc
    proc.stop()
