"""Sync trust: lease holder identity, delete retries, incremental run items (issue 9).

The run lease records where its holder runs (host name and process id), so a lease whose
process is gone on the same host is taken over at once instead of after its TTL.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the holder's host and process id to ``run_leases``."""
    with op.batch_alter_table("run_leases") as batch:
        batch.add_column(sa.Column("holder_host", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("holder_pid", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Drop the holder's host and process id."""
    with op.batch_alter_table("run_leases") as batch:
        batch.drop_column("holder_pid")
        batch.drop_column("holder_host")
