"""Sync trust: consent, identity and delete bookkeeping (issue 9).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision (nothing yet)."""


def downgrade() -> None:
    """Revert this revision (nothing yet)."""
