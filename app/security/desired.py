"""The desired state of the warehouse, derived from the model: a pure function, no I/O."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import NamedTuple

from app.ecosystem.coltypes import ColumnType, parse_type
from app.ecosystem.model import Model, Transformer, Workspace
from app.ecosystem.names import RAW_SCHEMA as RAW_SCHEMA  # imported from here too
from app.ecosystem.names import credentials_secret, dataset_table
from app.ecosystem.spec.datastore import Dataset
from app.ecosystem.spec.workspace import Sink
from app.errors import ConflictError
from app.security import names
from app.settings import MARKER_ROLE

log = logging.getLogger(__name__)

MARKER = MARKER_ROLE  # of an installation without a role prefix
MEMBER = "MEMBER"
TABLE_WRITES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")


class NameCollisionError(ConflictError):
    """Two entities of the model would share a warehouse name: the sync refuses the model."""

    type = "security-name-collision"


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
    """A managed role: a transformer's login role, a workspace's read role, or the marker."""

    name: str
    login: bool
    connection_limit: int = -1
    transformer: str | None = None


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """A column of an output table."""

    name: str
    type: ColumnType  # the model's, parsed: the warehouse renders it as one of its own
    nullable: bool
    primary_key: bool


@dataclass(frozen=True, slots=True)
class TableSpec:
    """An output table of a transformer."""

    schema: str
    name: str
    columns: tuple[ColumnSpec, ...]


@dataclass(frozen=True, slots=True)
class ViewSpec:
    """A workspace view selecting exactly the sunk columns of a source table."""

    schema: str
    name: str
    source_schema: str
    source_table: str
    columns: tuple[str, ...]
    sink: str  # Datastore.dataset, for messages


@dataclass(slots=True)
class Desired:
    """Everything the model asks of the warehouse."""

    marker: str
    role_prefix: str = ""
    roles: dict[str, RoleSpec] = field(default_factory=dict)
    schemas: dict[str, str] = field(default_factory=dict)  # name -> what it is for
    tables: dict[tuple[str, str], TableSpec] = field(default_factory=dict)
    views: dict[tuple[str, str], ViewSpec] = field(default_factory=dict)
    grants: set[Grant] = field(default_factory=set)
    credentials: dict[str, str] = field(default_factory=dict)  # transformer -> role
    problems: list[str] = field(default_factory=list)
    # "<kind> <warehouse name>" -> the entity that has it: each name has one owner
    owners: dict[str, str] = field(default_factory=dict, repr=False, compare=False)


def desired_state(
    model: Model, marker: str = MARKER, connection_limit: int = 10, role_prefix: str = ""
) -> Desired:
    """The roles, schemas, tables, views and grants the model asks for (builtins too)."""
    desired = Desired(marker, role_prefix)
    _add_role(desired, RoleSpec(marker, login=False), "the marker role")
    _raw_tables(desired, model)
    for workspace in sorted(model.workspaces.values(), key=lambda w: w.name):
        _workspace(desired, model, workspace)
    for transformer in sorted(model.transformers.values(), key=lambda t: t.name):
        _transformer(desired, model, transformer, connection_limit)
    for role in desired.roles:
        if role != marker:
            desired.grants.add(Grant("role", "", marker, "", MEMBER, role))
    return desired


def _claim(desired: Desired, kind: str, name: str, owner: str) -> None:
    """Take a warehouse name for its owner; a second owner stops the sync, never skipped.

    Validation refuses such a model (physical-name-collision); this is the last line against
    a model that bypassed it, or a role prefix that makes two roles' hashed names meet.
    """
    first = desired.owners.setdefault(f"{kind} {name}", owner)
    if first != owner:
        detail = (
            f"{owner} and {first} would both have the {kind} {name}: warehouse names must be "
            "one-to-one, so the sync refuses this model; rename one of them"
        )
        log.error("security sync refused: %s", detail)
        raise NameCollisionError(detail)


def _raw_tables(desired: Desired, model: Model) -> None:
    """Claim every ingested dataset's raw table: the views of its sinks read that table."""
    for store in sorted(model.datastores.values(), key=lambda d: d.name):
        if store.producer is None:
            for dataset in store.datasets:
                owner = f"datastore {store.name!r} dataset {dataset!r}"
                _claim(
                    desired,
                    "raw table",
                    f"{RAW_SCHEMA}.{names.raw_table(store.name, dataset)}",
                    owner,
                )


def _add_role(desired: Desired, spec: RoleSpec, owner: str) -> None:
    _claim(desired, "role", spec.name, owner)
    desired.roles[spec.name] = spec


def _add_schema(desired: Desired, schema: str, purpose: str, owner: str) -> None:
    _claim(desired, "schema", schema, owner)
    desired.schemas[schema] = purpose


def _workspace(desired: Desired, model: Model, workspace: Workspace) -> None:
    owner = f"workspace {workspace.name!r}"
    schema, reader = (
        names.workspace_schema(workspace.name),
        names.read_role(workspace.name, desired.role_prefix),
    )
    _add_schema(desired, schema, f"views of workspace {workspace.name}", owner)
    _add_role(desired, RoleSpec(reader, login=False), owner)
    desired.grants.add(Grant("schema", "", schema, "", "USAGE", reader))
    desired.grants.add(Grant("default", schema, "TABLES", "", "SELECT", reader))
    for (store, dataset), columns in _sunk(workspace).items():
        view = _view(desired, model, schema, store, dataset, columns)
        if view is not None:
            _claim(desired, "view", f"{schema}.{view.name}", f"{owner}'s sink {view.sink!r}")
            desired.views[(schema, view.name)] = view
            desired.grants.add(Grant("table", schema, view.name, "", "SELECT", reader))


def _sunk(workspace: Workspace) -> dict[tuple[str, str], list[str] | None]:
    """The datasets a workspace sinks, with their columns (None: all); repeated sinks merged."""
    merged: dict[tuple[str, str], list[str] | None] = {}
    sinks: list[Sink] = [s for g in workspace.spec.dataset_groups for s in g.sinks]
    for sink in sinks:
        key = (sink.datastore, sink.dataset)
        before = merged.get(key, [])
        if (key in merged and before is None) or sink.columns is None:
            merged[key] = None
        else:
            assert before is not None
            merged[key] = before + [c for c in sink.columns if c not in before]
    return merged


def _view(
    desired: Desired, model: Model, schema: str, store: str, name: str, columns: list[str] | None
) -> ViewSpec | None:
    datastore = model.datastores.get(store)
    dataset = datastore.datasets.get(name) if datastore else None
    if datastore is None or dataset is None:
        desired.problems.append(f"{schema}: sink {store}.{name} names no dataset; no view")
        return None
    source = dataset_table(store, name, datastore.producer)
    wanted = [c.name for c in dataset.columns if columns is None or c.name in columns]
    return ViewSpec(
        schema,
        names.raw_table(store, name),
        *source,
        tuple(names.physical(c) for c in wanted),
        f"{store}.{name}",
    )


def _transformer(desired: Desired, model: Model, transformer: Transformer, limit: int) -> None:
    owner = f"transformer {transformer.name!r}"
    role = names.transformer_role(transformer.name, desired.role_prefix)
    schema = names.output_schema(transformer.name)
    spec = RoleSpec(role, login=True, connection_limit=limit, transformer=transformer.name)
    _add_role(desired, spec, owner)
    _add_schema(desired, schema, f"output of transformer {transformer.name}", owner)
    _claim(desired, "credentials Secret", credentials_secret(transformer.name), owner)
    desired.credentials[transformer.name] = role
    workspace = model.workspaces.get(transformer.workspace)
    if workspace is not None:
        desired.grants.add(
            Grant(
                "role",
                "",
                names.read_role(transformer.workspace, desired.role_prefix),
                "",
                MEMBER,
                role,
            )
        )
    desired.grants |= {Grant("schema", "", schema, "", p, role) for p in ("USAGE", "CREATE")}
    desired.grants |= {Grant("default", schema, "TABLES", "", p, role) for p in TABLE_WRITES}
    for dataset in transformer.spec.output.datasets:
        table = _table(schema, dataset)
        _claim(desired, "table", f"{schema}.{table.name}", f"{owner}'s dataset {dataset.name!r}")
        desired.tables[(schema, table.name)] = table
        desired.grants |= {Grant("table", schema, table.name, "", p, role) for p in TABLE_WRITES}


def _table(schema: str, dataset: Dataset) -> TableSpec:
    columns = tuple(
        ColumnSpec(names.physical(c.name), parse_type(c.type), c.is_nullable, c.primary_key)
        for c in dataset.columns
    )
    return TableSpec(schema, names.physical(dataset.name), columns)
