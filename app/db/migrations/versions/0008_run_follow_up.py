"""runs: a version activated while a security sync ran, so that a sync follows it

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOLLOW_UP = "a version activated while this security sync ran: a sync follows it when it ends"


def upgrade() -> None:
    op.add_column(
        "runs", sa.Column("follow_up_version", sa.BigInteger(), nullable=True, comment=FOLLOW_UP)
    )
    op.create_index(  # the marks still to follow are few: reconciliation reads them by this
        "runs_followed_up",
        "runs",
        ["id"],
        postgresql_where=sa.text("follow_up_version IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("runs_followed_up", "runs")
    op.drop_column("runs", "follow_up_version")
