"""Security: server-side sessions, login throttling, audit log (issue 10).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision (nothing yet)."""


def downgrade() -> None:
    """Revert this revision (nothing yet)."""
