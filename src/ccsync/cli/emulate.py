"""``ccsync emulate``: the emulator commands live beside the emulators (no engine imports)."""

from __future__ import annotations

from ccsync.emulators.cli import app

__all__ = ["app"]
