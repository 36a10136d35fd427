"""The connector contract suite's harness fixture, one emulator per param and module.

Params: ``vtiger-webservice`` and ``vtiger-restapi`` (``vtiger_factories.py``),
``cc-default``, ``cc-pessimistic``, ``cc-optimistic`` from ``cc_factories.py`` when that module
exists (imported lazily, so the Vtiger half runs on its own), and ``memory-crm``: the in-memory
CRM of ``tests/support/memory_connector.py`` (``memory_factories.py``), a third connector that
is neither.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

try:  # the test tree is importable as ``tests`` or (rootdir-relative) as its sub-packages
    from tests.contract.harness import ContractHarness
except ModuleNotFoundError:  # pragma: no cover - depends on how pytest set sys.path
    from contract.harness import ContractHarness  # type: ignore[no-redef]

VTIGER_PARAMS = ["vtiger-webservice", "vtiger-restapi"]
CC_PARAMS = ["cc-default", "cc-pessimistic", "cc-optimistic"]
HAS_CC = (Path(__file__).parent / "cc_factories.py").exists()
MEMORY_PARAMS = ["memory-crm"]
PARAMS = VTIGER_PARAMS + (CC_PARAMS if HAS_CC else []) + MEMORY_PARAMS
# ``start_ccsync`` leaves the subprocess log file to the garbage collector (reported to the lead).
LOG_LEAK = "ignore:Exception ignored in. <_io.FileIO name='[^']*\\.log' mode='wb'"


def _module(name: str) -> object:
    for prefix in ("tests.contract.", "contract."):
        try:
            return importlib.import_module(prefix + name)
        except ModuleNotFoundError:
            continue
    raise ModuleNotFoundError(name)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Contract tests run emulator subprocesses: mark them and tolerate the log-file leak."""
    for item in items:
        if "tests/contract/test_connector_contract" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.integration)
            item.add_marker(pytest.mark.filterwarnings(LOG_LEAK))


@pytest.fixture(scope="module", params=PARAMS)
def harness(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ContractHarness]:
    """A live connector against its emulator, shared by the tests of one param."""
    param = str(request.param)
    tmp = tmp_path_factory.mktemp(param)
    if param in MEMORY_PARAMS:
        built = _module("memory_factories").make_memory_harness()  # type: ignore[attr-defined]
    elif param.startswith("vtiger-"):
        built = _module("vtiger_factories").make_harness(param, tmp)  # type: ignore[attr-defined]
    else:
        built = _module("cc_factories").make_cc_harness(param.removeprefix("cc-"), tmp)  # type: ignore[attr-defined]
    try:
        yield built
    finally:
        built.close()
