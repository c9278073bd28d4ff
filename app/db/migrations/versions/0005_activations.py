"""activations: who activated which version and why; why a version was held back; Ecosystem owners

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "(SELECT id FROM model_versions WHERE state = 'active')"
HELD_BACK = (
    "why a version without errors was not activated: its breaking changes, or a newer commit active"
)
BREAKING = "its breaking changes against the version active when it was stored"
OWNERS = "the Ecosystem''s owners: they own its zones and itself"
# the views gain the new columns at their end (CREATE OR REPLACE keeps the dashboard's grants)
VIEWS = [
    "CREATE OR REPLACE VIEW current_model_version AS"
    " SELECT * FROM model_versions WHERE state = 'active'",
    f"COMMENT ON COLUMN current_model_version.held_back IS '{HELD_BACK}'",
    f"COMMENT ON COLUMN current_model_version.breaking_changes IS '{BREAKING}'",
    "CREATE OR REPLACE VIEW current_ecosystems AS SELECT name, description, classifications,"
    f" owners FROM model_ecosystems WHERE version_id = {ACTIVE}",
    f"COMMENT ON COLUMN current_ecosystems.owners IS '{OWNERS}'",
]
CHANGED_VIEWS = ("current_model_version", "current_ecosystems")


def _old_views() -> list[str]:
    """The statements of 0001 that made the two views, with their comments."""
    first = importlib.import_module("app.db.migrations.versions.0001_model_versions")
    return [s for s in first.VIEWS if any(f" {view} " in f"{s} " or f" {view}." in s
                                          for view in CHANGED_VIEWS)]  # fmt: skip


def upgrade() -> None:
    op.add_column("model_versions", sa.Column("held_back", sa.Text(), comment=HELD_BACK))
    op.add_column(
        "model_versions",
        sa.Column("breaking_changes", postgresql.JSONB(astext_type=sa.Text()), comment=BREAKING),
    )
    op.add_column(
        "model_ecosystems",
        sa.Column("owners", postgresql.ARRAY(sa.Text()), comment=OWNERS.replace("''", "'")),
    )
    op.create_table(
        "model_version_activations",
        sa.Column("id", sa.BigInteger(), nullable=False, comment="the activation id"),
        sa.Column("version_id", sa.BigInteger(), nullable=False, comment="the version activated"),
        sa.Column(
            "from_version_id",
            sa.BigInteger(),
            nullable=True,
            comment="the version active before (it may since be removed)",
        ),
        sa.Column("kind", sa.Text(), nullable=False, comment="automatic, override or rollback"),
        sa.Column(
            "activated_by",
            sa.Text(),
            nullable=False,
            comment="the token's name, the ingest, or the command that did it",
        ),
        sa.Column("reason", sa.Text(), nullable=False, comment="why it was activated"),
        sa.Column(
            "activated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
            comment="when it became active",
        ),
        sa.CheckConstraint(
            "kind IN ('automatic', 'override', 'rollback')", name="activation_kind_known"
        ),
        sa.ForeignKeyConstraint(["version_id"], ["model_versions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        comment="Every activation of a model version, automatic or on purpose.",
    )
    op.create_index(
        "model_version_activations_by_version", "model_version_activations", ["version_id"]
    )
    for statement in VIEWS:
        op.execute(statement)


def downgrade() -> None:
    for view in CHANGED_VIEWS:
        op.execute(f"DROP VIEW {view}")
    op.drop_index("model_version_activations_by_version", "model_version_activations")
    op.drop_table("model_version_activations")
    op.drop_column("model_ecosystems", "owners")
    op.drop_column("model_versions", "breaking_changes")
    op.drop_column("model_versions", "held_back")
    for statement in _old_views():
        op.execute(statement)
