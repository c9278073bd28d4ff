"""the run records of jobs: at most one active run per kind and target

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
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
    op.create_table(
        "runs",
        sa.Column("id", sa.BigInteger(), nullable=False, comment="run id"),
        sa.Column(
            "kind",
            sa.Text(),
            nullable=False,
            comment="security-sync, transformer or a builtin (externalize-model)",
        ),
        sa.Column(
            "target",
            sa.Text(),
            nullable=False,
            comment="what it runs: a transformer's name, or the kind",
        ),
        sa.Column(
            "version_id", sa.BigInteger(), nullable=True, comment="the model version it ran for"
        ),
        sa.Column(
            "trigger",
            sa.Text(),
            nullable=False,
            comment="schedule, manual, input-change or model-change",
        ),
        sa.Column(
            "state",
            sa.Text(),
            nullable=False,
            comment="queued, running, succeeded, failed, cancelled, timed-out or lost",
        ),
        sa.Column(
            "attempts",
            sa.Integer(),
            server_default=sa.text("0"),
            nullable=False,
            comment="attempts started",
        ),
        sa.Column(
            "runner_ref",
            sa.Text(),
            nullable=True,
            comment="the runner's handle: a Job name, or local:<pid>:<run id>",
        ),
        sa.Column("exit_code", sa.Integer(), nullable=True, comment="the exit status"),
        sa.Column("reason", sa.Text(), nullable=True, comment="why it ended as it did"),
        sa.Column("log_tail", sa.Text(), nullable=True, comment="the last lines of its output"),
        sa.Column(
            "idempotency_key",
            sa.Text(),
            nullable=True,
            comment="a caller's Idempotency-Key, or a scheduler tick",
        ),
        sa.Column(
            "requested_by", sa.Text(), nullable=True, comment="the token name, or the scheduler"
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
            comment="when it was asked for",
        ),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="when the runner started it",
        ),
        sa.Column(
            "finished_at", sa.DateTime(timezone=True), nullable=True, comment="when it ended"
        ),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed-out', 'lost')",
            name="run_state_known",
        ),
        sa.CheckConstraint(
            "trigger IN ('schedule', 'manual', 'input-change', 'model-change')",
            name="run_trigger_known",
        ),
        sa.ForeignKeyConstraint(["version_id"], ["model_versions.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        comment="Runs of jobs: at most one queued or running per kind and target.",
    )
    op.create_index(
        "one_active_run",
        "runs",
        ["kind", "target"],
        unique=True,
        postgresql_where=sa.text("state IN ('queued', 'running')"),
    )
    op.create_index(
        "run_idempotency_key",
        "runs",
        ["kind", "target", "idempotency_key"],
        unique=True,
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )
    op.create_index("runs_by_target", "runs", ["kind", "target", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("runs_by_target", table_name="runs")
    op.drop_index(
        "run_idempotency_key",
        table_name="runs",
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )
    op.drop_index(
        "one_active_run",
        table_name="runs",
        postgresql_where=sa.text("state IN ('queued', 'running')"),
    )
    op.drop_table("runs")
