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
    "datastores": [("zone", "team"), ("zone", "name")],  # the API's list of a zone, in order
    "workspaces": [("zone", "team")],
    "sinks": [("datastore", "dataset")],
    "transformers": [("workspace",), ("output_datastore",)],
    "problems": [("code",)],
}


# columns that serve the API, not the model: made when a version is stored, after the model's
# columns of each row; no `current_*` view and no dataset of `ecoplane_model` has them
SERVED_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "datastores": (
        (
            "list_item",
            "the datastore as an item of the API's lists (JSON text, its dataset count included),"
            " made when the version is stored so that a page is read, not built",
        ),
    ),
}


def _entity_table(name: str) -> Table:
    table = MODEL_TABLES[name]
    columns: list[Column[Any]] = [
        Column("version_id", BigInteger, nullable=False, comment="the model version")
    ]
    columns += [
        Column(
            c.name,
            column_type(c.type, key=c.primary_key),
            nullable=c.nullable,
            comment=c.description,
        )
        for c in table.columns
    ]
    columns += [
        Column(served, Text(), nullable=True, comment=comment)
        for served, comment in SERVED_COLUMNS.get(name, ())
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


def stored_columns(table: str) -> list[str]:
    """The columns a stored row of a model table fills, in the order of its values (the version
    id comes from the partition): the model's columns, then the served ones."""
    return [c.name for c in ENTITY_TABLES[table].columns if c.name != "version_id"]


# The console's search (app/console/search.py) over model_search_entities: one index of the names'
# trigrams and one of the descriptions' words per partition of these tables. They are made per
# partition after the activation (app/catalog/search_indexes.py), not on the parents: the trigram operator
# class exists only where the server has pg_trgm, and the parents are the ORM's (no drift).
# the tables the console searches: each entity's kind and the SQL of its owner (what the search
# shows beside the name); the same as the view model_search_entities of migration 0013
SEARCHED = {
    "datastores": ("datastore", "NULL::text"),
    "datasets": ("dataset", "datastore"),
    "columns": ("column", "datastore || '.' || dataset"),
    "workspaces": ("workspace", "NULL::text"),
    "transformers": ("transformer", "workspace"),
    "teams": ("team", "zone"),
    "zones": ("zone", "NULL::text"),
}
# the searches' expressions, the same text in the indexes and the queries (or no index is used)
SEARCHED_NAME = "lower(name)"
SEARCHED_WORDS = "to_tsvector('simple', coalesce(description, ''))"
TRGM_SCHEMA = "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"
SEARCH_INDEXES = {  # name suffix: method and expression ({trgm}: pg_trgm's schema)
    "name_trgm": f"gin ({SEARCHED_NAME} {{trgm}}.gin_trgm_ops)",
    "words": f"gin ({SEARCHED_WORDS})",
}


def search_index_statements(table: str, partition: str, trgm: str) -> list[str]:
    """The statements making a searched table's partition's search indexes (none for others).

    `partition` is schema-qualified; the indexes are named after it, in its schema. `trgm` is
    the schema pg_trgm is installed in (its operator class named wherever the search path is)."""
    if table not in SEARCHED:
        return []
    bare = partition.rpartition(".")[2]
    return [
        f"CREATE INDEX {bare}_{suffix} ON {partition} USING {how.format(trgm=trgm)}"
        for suffix, how in SEARCH_INDEXES.items()
    ]
