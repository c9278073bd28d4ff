"""datastores' list items: each datastore's item of the API's lists, made when a version is stored;
and an index of datastores by zone and name

A page of GET /api/v1/datastores built its items per request (a dataset count and a JSON object
per row): 361 us of the database's CPU a page on the large model, against 222 us reading items
made once (the same pages, asked of both). The versions stored before this revision get theirs here, in the JSON the page
query made until now.

The index by (version_id, zone, name) gives a zone's page in name order without a scan of every
datastore of the version: a page whose filters match few or none of them read them all in name
order (Postgres CPU per cold page 234 us without it, 95 us with it, on the large model).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "model_datastores_by_zone_name"
COMMENT = (
    "the datastore as an item of the API's lists (JSON text, its dataset count included),"
    " made when the version is stored so that a page is read, not built"
)
FIELDS = {
    "name": "d.name", "zone": "d.zone", "team": "d.team", "description": "d.description",
    "productionStatus": "d.production_status", "deprecated": "d.deprecated",
    "deprecationReason": "d.deprecation_reason", "ingestionKind": "d.ingestion_kind",
    "triggerKind": "d.trigger_kind", "triggerCron": "d.trigger_cron",
    "approvalRequired": "d.approval_required", "producer": "d.producer", "builtin": "d.builtin",
    "labels": "coalesce(d.labels, '{}')",
    "datasets": "(SELECT count(*) FROM model_datasets s"
    " WHERE s.version_id = d.version_id AND s.datastore = d.name)",
}  # fmt: skip
BACKFILL = (
    "UPDATE model_datastores d SET list_item = json_build_object("
    + ", ".join(f"'{key}', {value}" for key, value in FIELDS.items())
    + ")::text"
)


def upgrade() -> None:
    op.add_column("model_datastores", sa.Column("list_item", sa.Text(), comment=COMMENT))
    op.execute(BACKFILL)
    op.create_index(INDEX, "model_datastores", ["version_id", "zone", "name"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="model_datastores")
    op.drop_column("model_datastores", "list_item")
