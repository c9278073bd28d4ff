"""data ingestion: batches, and the model's milestoning, watermark and source tables

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "(SELECT id FROM model_versions WHERE state = 'active')"
DATASTORES = (
    "name, zone, team, description, production_status, deprecated, deprecation_reason,"
    " ingestion_kind, ingestion_source, ingestion_credential, trigger_kind, trigger_cron,"
    " approval_required, producer, labels, builtin"
)
DATASETS = (
    "datastore, name, description, classification, deprecated, deprecation_reason, primary_key"
)
# the new columns of the stored model: (table, column, comment), appended to their views
NEW_COLUMNS = (
    ("datastores", "ingestion_milestoning", "live or forensic; null for outputs"),
    ("datastores", "ingestion_watermark", "the column sql-watermark ingestion follows"),
    ("datasets", "source_table", "the table ingestion reads it from, when not its name"),
)
VIEW_COLUMNS = {"datastores": DATASTORES, "datasets": DATASETS}


def _views(extra: bool) -> None:
    for table, columns in VIEW_COLUMNS.items():
        added = [c for t, c, _ in NEW_COLUMNS if t == table] if extra else []
        listed = ", ".join([columns, *added])
        if not extra:  # CREATE OR REPLACE cannot drop columns of a view
            op.execute(f"DROP VIEW current_{table}")
        op.execute(
            f"CREATE OR REPLACE VIEW current_{table} AS SELECT {listed} "
            f"FROM model_{table} WHERE version_id = {ACTIVE}"
        )
    for table, column, comment in NEW_COLUMNS if extra else ():
        op.execute(f"COMMENT ON COLUMN current_{table}.{column} IS '{comment}'")


def _count(name: str, comment: str) -> sa.Column[object]:
    return sa.Column(
        name, sa.BigInteger(), server_default=sa.text("0"), nullable=False, comment=comment
    )


def upgrade() -> None:
    for table, column, comment in NEW_COLUMNS:
        op.add_column(f"model_{table}", sa.Column(column, sa.Text(), comment=comment))
    _views(extra=True)
    op.create_table(
        "batches",
        sa.Column("id", sa.BigInteger(), nullable=False, comment="batch id"),
        sa.Column("datastore", sa.Text(), nullable=False, comment="the datastore ingested"),
        sa.Column(
            "number",
            sa.BigInteger(),
            nullable=False,
            comment="1, 2, ... per datastore; forensic rows carry it",
        ),
        sa.Column(
            "run_id", sa.BigInteger(), nullable=True, comment="the ingestion run it belongs to"
        ),
        sa.Column("kind", sa.Text(), nullable=False, comment="sql-snapshot or sql-watermark"),
        sa.Column("milestoning", sa.Text(), nullable=False, comment="live or forensic"),
        sa.Column("state", sa.Text(), nullable=False, comment="running, succeeded or failed"),
        _count("inserted", "rows inserted (new keys)"),
        _count("updated", "rows updated (a key whose values changed)"),
        _count("deleted", "rows deleted (a key gone from a snapshot)"),
        _count("unchanged", "rows read and found equal (not rewritten)"),
        sa.Column(
            "watermarks",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=True,
            comment="per dataset: the watermark reached (sql-watermark)",
        ),
        sa.Column(
            "tables",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=True,
            comment="per dataset: its counts",
        ),
        sa.Column(
            "read_seconds",
            sa.Double(),
            nullable=True,
            comment="time to stream the source into staging",
        ),
        sa.Column(
            "merge_seconds",
            sa.Double(),
            nullable=True,
            comment="time to merge staging into the raw tables",
        ),
        sa.Column("reason", sa.Text(), nullable=True, comment="why it failed"),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
            comment="when it started",
        ),
        sa.Column(
            "finished_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="when it committed or failed",
        ),
        sa.CheckConstraint("state IN ('running', 'succeeded', 'failed')", name="batch_state_known"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        comment="Batches of data ingestion: one per ingestion run of a datastore.",
    )
    op.create_index("batch_number", "batches", ["datastore", "number"], unique=True)


def downgrade() -> None:
    op.drop_table("batches")
    _views(extra=False)
    for table, column, _ in NEW_COLUMNS:
        op.drop_column(f"model_{table}", column)
