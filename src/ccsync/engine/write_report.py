"""What the side writers (``apply_crm``, ``apply_cc``) report to the applier of a plan.

The writers only need these four callbacks; the ``Applier`` in ``apply`` implements them, so the
writers do not import the module that drives them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ccsync.connectors.base import RemoteRecord
from ccsync.engine.plan_types import Action

Written = tuple[Action, RemoteRecord | None, str, str]  # action, record written, crm id, cc id


class WriteReport(Protocol):
    """Receives each outcome of a side writer the moment it is known."""

    def done(self, action: Action, written: RemoteRecord | None, crm_id: str, cc_id: str) -> None:
        """A create / update / revive went through."""

    def done_many(self, results: Sequence[Written]) -> None:
        """Several writes went through (one transaction)."""

    def deleted(self, actions: Sequence[Action]) -> None:
        """Deletes (or unlists) went through."""

    def failed(self, action: Action, exc: Exception) -> None:
        """A write did not go through (skipped, or queued for retry)."""
