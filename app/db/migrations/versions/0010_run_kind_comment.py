"""runs.kind and runs.target: their comments name the ingestion kind and its target datastore

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KIND = (
    "security-sync, transformer, ingestion (a datastore's data ingestion)"
    " or a builtin (externalize-model)"
)
TARGET = "what it runs: a transformer's name, the datastore of an ingestion, or the kind"
KIND_BEFORE = "security-sync, transformer or a builtin (externalize-model)"
TARGET_BEFORE = "what it runs: a transformer's name, or the kind"


def _comment(column: str, text: str, before: str) -> None:
    op.alter_column(
        "runs", column, existing_type=sa.Text(), existing_nullable=False,
        comment=text, existing_comment=before,
    )  # fmt: skip


def upgrade() -> None:
    _comment("kind", KIND, KIND_BEFORE)
    _comment("target", TARGET, TARGET_BEFORE)


def downgrade() -> None:
    _comment("kind", KIND_BEFORE, KIND)
    _comment("target", TARGET_BEFORE, TARGET)
