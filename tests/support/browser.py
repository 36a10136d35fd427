"""Debian's Chromium for the browser tests, launched one way everywhere.

The browser runs on the real clock: under ``scripts/test-future`` libfaketime is preloaded into
every process, and a Chromium under it never finishes loading a page. The date logic under test
lives in ccsync and the emulators, which keep the shifted clock.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright

from support.processes import Proc, start_ccsync

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


def serve(workdir: Path) -> Proc:
    """``ccsync serve`` on the data directory ``workdir/data``, once its health answers."""
    return start_ccsync(
        ["serve"], workdir, health_path="/healthz",
        env={"CCSYNC_DATA_DIR": str(workdir / "data")}, name="serve",
    )  # fmt: skip


def sign_in(page: Page, base: str, user: str, password: str) -> None:
    """Fill the login form already open on ``page`` and wait for the Sync window.

    The login page is first let go quiet: submitting while its favicon still loads aborts that
    request, which the browser reports as a failed load (a flake in the console checks)."""
    page.wait_for_load_state("networkidle")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
