"""Sync trust: consent, identity and delete bookkeeping (issue 9).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``links.pending`` (a refused write kept pending) and ``crm_optouts``."""
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("pending", sa.String(length=64), nullable=True))
    op.create_table(
        "crm_optouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("crm_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["connector_id"],
            ["connectors.id"],
            name=op.f("fk_crm_optouts_connector_id_connectors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_optouts")),
        sa.UniqueConstraint(
            "connector_id", "crm_id", name=op.f("uq_crm_optouts_connector_id_crm_id")
        ),
    )
    op.create_index("ix_crm_optouts_email", "crm_optouts", ["connector_id", "email"])


def downgrade() -> None:
    """Drop ``crm_optouts`` and ``links.pending``."""
    op.drop_index("ix_crm_optouts_email", table_name="crm_optouts")
    op.drop_table("crm_optouts")
    with op.batch_alter_table("links") as batch:
        batch.drop_column("pending")
