"""Suite-wide fixtures: a clean environment for every test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

try:  # the test tree is importable as ``tests`` or (rootdir-relative) as its sub-packages
    from tests.support import paths
except ImportError:  # pragma: no cover - depends on how pytest was invoked
    from support import paths  # type: ignore[no-redef]

_KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV", "PYTHONPATH", "CI", "TERM")


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Drop proxy settings and any CCSYNC_* variable a developer may have exported."""
    for name in list(os.environ):
        if name.startswith("CCSYNC_") or name.lower().endswith("_proxy"):
            monkeypatch.delenv(name, raising=False)
    yield


@pytest.fixture
def cc_contract() -> Path:
    """The official Constant Contact contract; skips without it (fails when ``CI=true``)."""
    return paths.cc_contract()


def pytest_runtest_setup(item: pytest.Item) -> None:
    """``@pytest.mark.cc_contract`` tests need the official contract before they start."""
    if item.get_closest_marker("cc_contract") is not None:
        paths.cc_contract()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest first: the state machine and browser tests start at once on their xdist worker
    instead of after everything else (``--dist loadscope`` hands out scopes in this order)."""
    items.sort(key=lambda item: 0 if _long(item) else 1)


def _long(item: pytest.Item) -> bool:
    return any(item.get_closest_marker(name) for name in ("statemachine", "browser"))
