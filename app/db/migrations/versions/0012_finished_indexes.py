"""runs, ingests and batches by when they ended: /metrics counts the last 24 hours at each scrape

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("runs_finished", "runs"),
    ("ingests_finished", "ingests"),
    ("batches_finished", "batches"),
)


def upgrade() -> None:
    for name, table in INDEXES:  # the rows that ended recently, without reading the others
        op.create_index(name, table, ["finished_at"])


def downgrade() -> None:
    for name, table in INDEXES:
        op.drop_index(name, table)
