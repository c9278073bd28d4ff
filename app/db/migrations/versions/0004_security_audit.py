"""the security sync's audit: applied syncs and their operations

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
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
    op.create_table(
        "security_syncs",
        sa.Column("id", sa.BigInteger(), nullable=False, comment="the sync id"),
        sa.Column(
            "applied_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
            comment="when its transaction committed",
        ),
        sa.Column(
            "model_version_id",
            sa.BigInteger(),
            nullable=True,
            comment="the model version it applied",
        ),
        sa.Column(
            "operations",
            sa.Integer(),
            server_default=sa.text("0"),
            nullable=False,
            comment="how many operations it ran",
        ),
        sa.Column(
            "forced",
            sa.Boolean(),
            server_default=sa.text("false"),
            nullable=False,
            comment="whether the drop guard was overridden",
        ),
        sa.PrimaryKeyConstraint("id"),
        comment="Every applied security sync: when, from which model version.",
    )
    op.create_table(
        "security_sync_operations",
        sa.Column("sync_id", sa.BigInteger(), nullable=False, comment="the sync"),
        sa.Column("ordinal", sa.Integer(), nullable=False, comment="its place in the sync"),
        sa.Column(
            "phase",
            sa.Text(),
            nullable=False,
            comment="roles, schemas, tables, views, revoke, grant or drop",
        ),
        sa.Column(
            "action", sa.Text(), nullable=False, comment="e.g. create role, grant, drop view"
        ),
        sa.Column("target", sa.Text(), nullable=False, comment="the object it changed"),
        sa.Column("reason", sa.Text(), nullable=False, comment="why the sync ran it"),
        sa.Column(
            "statement", sa.Text(), nullable=False, comment="its SQL, a password shown as ********"
        ),
        sa.ForeignKeyConstraint(["sync_id"], ["security_syncs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("sync_id", "ordinal"),
        comment="The operations of each applied security sync, in order.",
    )


def downgrade() -> None:
    op.drop_table("security_sync_operations")
    op.drop_table("security_syncs")
