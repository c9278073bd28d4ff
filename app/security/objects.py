"""The warehouse objects the model asks for, as data: grants, roles, tables, views (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from app.ecosystem.coltypes import ColumnType
from app.ecosystem.names import RAW_SCHEMA as RAW_SCHEMA  # one definition, re-exported


class Grant(NamedTuple):
    """One privilege of a grantee: on a database, schema, table, column, default ACL or role.

    `on` is database|schema|table|sequence|column|default|role; for `default`, `name` is the
    object kind (TABLES) in `schema`; for `role`, `name` is the group and the privilege MEMBER.
    """

    on: str
    schema: str
    name: str
    column: str
    privilege: str
    grantee: str


@dataclass(frozen=True, slots=True)
class RoleSpec:
    """A managed role: a transformer's or an ingestion's login role, a workspace's read role, or
    the marker. `transformer` is the secret stores' key of a login role's credentials: the
    transformer's name, or `datastore.<name>` for an ingestion's `di_<datastore>`."""

    name: str
    login: bool
    connection_limit: int = -1
    transformer: str | None = None


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """A column of an output or raw table."""

    name: str
    type: ColumnType  # the model's, parsed: the warehouse renders it as one of its own
    nullable: bool
    primary_key: bool


@dataclass(frozen=True, slots=True)
class TableSpec:
    """An output table of a transformer, or a raw table of an ingested datastore.

    A transformer's table is only created; a raw table `evolves`: the sync adds a new nullable
    column and refuses an incompatible change, naming the columns (app/security/plan_tables.py).
    """

    schema: str
    name: str
    columns: tuple[ColumnSpec, ...]
    evolves: bool = False
    purpose: str = "output dataset"
    fillfactor: int = 100  # a raw table's: room on each page for an ingestion's updates


class ViewSpec(NamedTuple):
    """A workspace view selecting exactly the sunk columns of a source table.

    A tuple, as immutable as a frozen dataclass and made four times faster (a sync's desired
    state holds 10,000 of them).

    `current` (a view over a forensic raw table): only the rows still current
    (`ecoplane_batch_out IS NULL`). A sink's history view reads every version instead, the
    milestone columns among its `columns`.
    """

    schema: str
    name: str
    source_schema: str
    source_table: str
    columns: tuple[str, ...]
    sink: str  # Datastore.dataset, for messages
    current: bool = False
