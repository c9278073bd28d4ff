"""The model tables: one per entity of MODEL_TABLES, partitioned by version (one partition each).

They are built from `app.ecosystem.model_tables`, the one description of the externalized
model that the builtin `ecoplane_model` datastore also uses.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.types import TypeEngine

from app.db.tables import metadata
from app.ecosystem.model_tables import MODEL_TABLES

ENTITY_PREFIX = "model_"
VIEW_PREFIX = "current_"
PARTITION_SCHEMA = (
    "model_partitions"  # one partition per table and version: read them via the parents
)


def column_type(model_type: str, *, key: bool = False) -> TypeEngine[Any]:
    """The Postgres type of a model-table column type; key text sorts by code point ("C")."""
    types: dict[str, TypeEngine[Any]] = {
        "text": Text(collation="C") if key else Text(),
        "boolean": Boolean(),
        "integer": Integer(),
        "json": JSONB(),
        "array<text>": ARRAY(Text()),
    }
    return types[model_type]


# what dashboards and the API filter by, besides the primary keys
FILTER_INDEXES: dict[str, list[tuple[str, ...]]] = {
    "datastores": [("zone", "team")],
    "workspaces": [("zone", "team")],
    "sinks": [("datastore", "dataset")],
    "transformers": [("workspace",), ("output_datastore",)],
    "problems": [("code",)],
}


def _entity_table(name: str) -> Table:
    table = MODEL_TABLES[name]
    columns = [Column("version_id", BigInteger, nullable=False, comment="the model version")]
    columns += [
        Column(
            c.name,
            column_type(c.type, key=c.primary_key),
            nullable=c.nullable,
            comment=c.description,
        )
        for c in table.columns
    ]
    key = ["version_id", *(c.name for c in table.columns if c.primary_key)]
    indexes = [
        Index(f"{ENTITY_PREFIX}{name}_by_{'_'.join(cols)}", "version_id", *cols)
        for cols in FILTER_INDEXES.get(name, [])
    ]
    return Table(
        f"{ENTITY_PREFIX}{name}",
        metadata,
        *columns,
        PrimaryKeyConstraint(*key, name=f"{ENTITY_PREFIX}{name}_pkey"),
        *indexes,
        comment=table.description,
        postgresql_partition_by="LIST (version_id)",
    )


ENTITY_TABLES: dict[str, Table] = {name: _entity_table(name) for name in MODEL_TABLES}
