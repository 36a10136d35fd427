"""Debian's Chromium for the browser tests, launched one way everywhere.

The browser runs on the real clock: under ``scripts/test-future`` libfaketime is preloaded into
every process, and a Chromium under it never finishes loading a page. The date logic under test
lives in ccsync and the emulators, which keep the shifted clock.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
_FAKETIME = ("LD_PRELOAD", "FAKETIME", "FAKETIME_DONT_FAKE_MONOTONIC", "DONT_FAKE_MONOTONIC")


def launch_chromium(playwright: Playwright) -> Browser:
    """Headless Chromium on the real clock; fails (never skips) when it is not installed."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run scripts/setup (apt-get install chromium)")
    env = {k: v for k, v in os.environ.items() if k not in _FAKETIME}
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS, env=env)
