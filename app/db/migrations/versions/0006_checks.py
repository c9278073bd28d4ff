"""pull-request checks: the verdict on each head commit, and how posting it went

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now(name: str, comment: str) -> sa.Column[object]:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=sa.text("now()"),
        nullable=False,
        comment=comment,
    )


def upgrade() -> None:
    op.create_table(
        "checks",
        sa.Column("id", sa.BigInteger(), nullable=False, comment="the check id"),
        sa.Column("forge", sa.Text(), nullable=False, comment="github, gitlab or gitea"),
        sa.Column(
            "pull_request",
            sa.Integer(),
            nullable=False,
            comment="the pull (merge) request's number",
        ),
        sa.Column("head_sha", sa.Text(), nullable=False, comment="the head commit checked"),
        sa.Column("author", sa.Text(), nullable=True, comment="who opened the pull request"),
        sa.Column(
            "delivery_id",
            sa.Text(),
            nullable=True,
            comment="the webhook delivery id: a redelivery creates nothing",
        ),
        sa.Column(
            "state",
            sa.Text(),
            nullable=False,
            comment="queued, running, pending (retried), success, failure or superseded",
        ),
        sa.Column(
            "attempts",
            sa.Integer(),
            server_default=sa.text("0"),
            nullable=False,
            comment="times it was worked on",
        ),
        _now("next_attempt_at", "when it is tried (again)"),
        sa.Column(
            "detail",
            sa.Text(),
            nullable=True,
            comment="the verdict in one line, or why it is pending",
        ),
        sa.Column(
            "report",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=True,
            comment="problems, changes, approvals needed and given, the comment",
        ),
        sa.Column(
            "superseded_by",
            sa.BigInteger(),
            nullable=True,
            comment="the check of a newer event of the pull request",
        ),
        _now("created_at", "when it was asked for"),
        sa.Column(
            "finished_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="when its verdict was posted",
        ),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'pending', 'success', 'failure', 'superseded')",
            name="check_state_known",
        ),
        sa.CheckConstraint("forge IN ('github', 'gitlab', 'gitea')", name="check_forge_known"),
        sa.PrimaryKeyConstraint("id"),
        comment="The verdicts on pull requests of the model repository, one per head checked.",
    )
    op.create_index(
        "checks_one_per_delivery",
        "checks",
        ["forge", "delivery_id"],
        unique=True,
        postgresql_where=sa.text("delivery_id IS NOT NULL"),
    )
    op.create_index("checks_of_pull_request", "checks", ["pull_request", "id"])
    op.create_index(
        "checks_due",
        "checks",
        ["next_attempt_at"],
        postgresql_where=sa.text("state IN ('queued', 'pending')"),
    )


def downgrade() -> None:
    op.drop_table("checks")
