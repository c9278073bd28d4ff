"""the ingest queue: requests to read a commit of the model repository

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ingests",
        sa.Column("id", sa.BigInteger(), nullable=False, comment="the ingest id"),
        sa.Column(
            "trigger",
            sa.Text(),
            nullable=False,
            comment="github, gitlab, gitea (webhooks), manual or poll",
        ),
        sa.Column("ref", sa.Text(), nullable=False, comment="the branch, tag or commit asked for"),
        sa.Column(
            "commit_sha",
            sa.Text(),
            nullable=True,
            comment="the commit read (known once fetched, or from the push)",
        ),
        sa.Column(
            "delivery_id",
            sa.Text(),
            nullable=True,
            comment="the webhook delivery id: a redelivery creates nothing",
        ),
        sa.Column(
            "requested_by",
            sa.Text(),
            nullable=True,
            comment="the token name, the pusher, or the poll",
        ),
        sa.Column(
            "state",
            sa.Text(),
            nullable=False,
            comment="queued, fetching, validating, storing, active, rejected, superseded or failed",
        ),
        sa.Column(
            "version_id",
            sa.BigInteger(),
            nullable=True,
            comment="the model version the commit was stored as",
        ),
        sa.Column(
            "errors",
            sa.Integer(),
            server_default=sa.text("0"),
            nullable=False,
            comment="validation errors",
        ),
        sa.Column(
            "warnings",
            sa.Integer(),
            server_default=sa.text("0"),
            nullable=False,
            comment="validation warnings",
        ),
        sa.Column(
            "detail",
            sa.Text(),
            nullable=True,
            comment="why it failed, was superseded, or did nothing new",
        ),
        sa.Column(
            "timings",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
            comment="seconds per phase",
        ),
        sa.Column(
            "retry_of",
            sa.BigInteger(),
            nullable=True,
            comment="the interrupted ingest this one retries",
        ),
        sa.Column(
            "superseded_by",
            sa.BigInteger(),
            nullable=True,
            comment="the ingest of a newer commit that replaced it",
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
            comment="when it was requested",
        ),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="when the worker took it",
        ),
        sa.Column(
            "finished_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="when it reached its final state",
        ),
        sa.CheckConstraint(
            "state IN ('queued', 'fetching', 'validating', 'storing', 'active', 'rejected', 'superseded', 'failed')",
            name="ingest_state_known",
        ),
        sa.CheckConstraint(
            "trigger IN ('github', 'gitlab', 'gitea', 'manual', 'poll')",
            name="ingest_trigger_known",
        ),
        sa.ForeignKeyConstraint(["version_id"], ["model_versions.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        comment="Requests to ingest a commit of the model repository, and their outcome.",
    )
    op.create_index("ingests_commit_sha", "ingests", ["commit_sha"], unique=False)
    op.create_index(
        "ingests_one_per_delivery",
        "ingests",
        ["trigger", "delivery_id"],
        unique=True,
        postgresql_where=sa.text("delivery_id IS NOT NULL"),
    )
    op.create_index(
        "ingests_waiting",
        "ingests",
        ["id"],
        unique=False,
        postgresql_where=sa.text("state = 'queued'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ingests_waiting", table_name="ingests", postgresql_where=sa.text("state = 'queued'")
    )
    op.drop_index(
        "ingests_one_per_delivery",
        table_name="ingests",
        postgresql_where=sa.text("delivery_id IS NOT NULL"),
    )
    op.drop_index("ingests_commit_sha", table_name="ingests")
    op.drop_table("ingests")
