"""Import the shared Vtiger emulator driver whichever way pytest set ``sys.path``."""

from __future__ import annotations

try:
    from tests.contract.vtiger_factories import VtigerEmulator
except ModuleNotFoundError:  # pragma: no cover - depends on how pytest set sys.path
    from contract.vtiger_factories import VtigerEmulator  # type: ignore[no-redef]

__all__ = ["VtigerEmulator"]
