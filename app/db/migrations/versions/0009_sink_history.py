"""sinks: `history`, a workspace's view of every version of a forensic dataset

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "(SELECT id FROM model_versions WHERE state = 'active')"
SINKS = "workspace, dataset_group, ordinal, datastore, dataset, columns, allow_deprecated"
COMMENT = "whether the workspace also gets a view of every version (forensic datasets)"


def upgrade() -> None:
    op.add_column(
        "model_sinks",
        sa.Column(
            "history", sa.Boolean(), server_default=sa.false(), nullable=False, comment=COMMENT
        ),
    )
    op.execute(
        f"CREATE OR REPLACE VIEW current_sinks AS SELECT {SINKS}, history"
        f" FROM model_sinks WHERE version_id = {ACTIVE}"
    )
    op.execute(f"COMMENT ON COLUMN current_sinks.history IS '{COMMENT}'")


def downgrade() -> None:
    op.execute("DROP VIEW current_sinks")
    op.execute(
        f"CREATE VIEW current_sinks AS SELECT {SINKS} FROM model_sinks WHERE version_id = {ACTIVE}"
    )
    op.drop_column("model_sinks", "history")
