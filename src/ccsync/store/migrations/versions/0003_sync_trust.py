"""Sync trust: lease holder identity, delete retries, incremental run items (issue 9).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision (nothing yet)."""


def downgrade() -> None:
    """Revert this revision (nothing yet)."""
