"""Where the tests find their data: the one lookup rule for every test and benchmark.

* Captured Vtiger 8.2 exchanges live in the repository, under ``tests/fixtures/vtiger``.
* The official Constant Contact v3 contract may not be redistributed, so it is never in the
  repository. It is looked for at ``<checkout>/../shared/specs/constant-contact-v3/swagger.yaml``
  (CI always has ``shared`` beside the checkout), or wherever ``CCSYNC_CC_CONTRACT`` points (read
  once, when the tests are collected). Tests that need it call :func:`cc_contract` (or use the
  ``cc_contract`` fixture): without the file they are skipped with a reason that says where to
  put it, and they fail when ``CI=true``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VTIGER_FIXTURES = REPO / "tests" / "fixtures" / "vtiger"
CC_CONTRACT_ENV = "CCSYNC_CC_CONTRACT"
# Optional documentation beside the checkout: tests compare their lists with it when present.
VTIGER_REFERENCE = REPO.parent / "shared" / "reference" / "vtiger-webservice.md"
DEFAULT_CC_CONTRACT = REPO.parent / "shared" / "specs" / "constant-contact-v3" / "swagger.yaml"
# Read at import (collection), before the suite's autouse fixture drops every CCSYNC_* variable.
_OVERRIDE = os.environ.get(CC_CONTRACT_ENV, "")


def cc_contract_path() -> Path:
    """Where the Constant Contact contract is expected (whether or not it is there)."""
    return Path(_OVERRIDE).expanduser().resolve() if _OVERRIDE else DEFAULT_CC_CONTRACT


def in_ci() -> bool:
    """True when the suite runs in CI (``CI=true``), where nothing may be skipped for a file."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def missing_cc_contract_reason() -> str:
    """Why a contract test cannot run, and how to make it run."""
    return (
        f"the Constant Contact v3 contract is not at {cc_contract_path()}: put swagger.yaml "
        f"there (shared/specs/constant-contact-v3/swagger.yaml beside the checkout) or point "
        f"{CC_CONTRACT_ENV} at it"
    )


def cc_contract() -> Path:
    """The contract's path; skips the calling test without it (fails it when ``CI=true``)."""
    path = cc_contract_path()
    if path.is_file():
        return path
    if in_ci():
        pytest.fail(f"CI=true and {missing_cc_contract_reason()}", pytrace=False)
    pytest.skip(missing_cc_contract_reason())
