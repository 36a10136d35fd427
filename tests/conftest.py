"""Suite-wide fixtures: a clean environment for every test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

_KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV", "PYTHONPATH", "CI", "TERM")


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Drop proxy settings and any CCSYNC_* variable a developer may have exported."""
    for name in list(os.environ):
        if name.startswith("CCSYNC_") or name.lower().endswith("_proxy"):
            monkeypatch.delenv(name, raising=False)
    yield
