"""The desired state of the warehouse, derived from the model: a pure function, no I/O."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import NoReturn

from app.ecosystem.coltypes import parse_type
from app.ecosystem.model import Datastore, Model, Transformer, Workspace
from app.ecosystem.names import credentials_secret
from app.ecosystem.spec.datastore import Dataset
from app.ecosystem.spec.workspace import Sink
from app.errors import ConflictError
from app.security import names
from app.security.objects import RAW_SCHEMA, ColumnSpec, Grant, RoleSpec, TableSpec, ViewSpec
from app.security.raw import (
    BATCH_IN,
    BATCH_OUT,
    DATABASE_PRIVILEGES,
    RAW_WRITES,
    forensic,
    ingested,
    is_ingested,
    raw_table_specs,
)
from app.settings import MARKER_ROLE

log = logging.getLogger(__name__)

__all__ = [
    "MARKER", "MEMBER", "RAW_SCHEMA", "ColumnSpec", "Desired", "Grant", "NameCollisionError",
    "RoleSpec", "TableSpec", "ViewSpec", "desired_state",
]  # fmt: skip
MARKER = MARKER_ROLE  # of an installation without a role prefix
MEMBER = "MEMBER"
TABLE_WRITES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")


class NameCollisionError(ConflictError):
    """Two entities of the model would share a warehouse name: the sync refuses the model."""

    type = "security-name-collision"


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
    credentials: dict[str, str] = field(default_factory=dict)  # store key -> login role
    problems: list[str] = field(default_factory=list)
    # "<kind> <warehouse name>" -> the entity that has it: each name has one owner
    owners: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    # (datastore, dataset) -> the source its sinks' views read (None: no such dataset)
    sources: dict[tuple[str, str], _Source | None] = field(
        default_factory=dict, repr=False, compare=False
    )


def desired_state(
    model: Model, marker: str = MARKER, connection_limit: int = 10, role_prefix: str = ""
) -> Desired:
    """The roles, schemas, tables, views and grants the model asks for (builtins too)."""
    desired = Desired(marker, role_prefix)
    _add_role(desired, RoleSpec(marker, login=False), "the marker role")
    _raw_tables(desired, model)
    for store in ingested(model):
        _ingestion(desired, store, connection_limit)
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
        _collision(kind, name, owner, first)


def _collision(kind: str, name: str, owner: str, first: str) -> NoReturn:
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


def _ingestion(desired: Desired, store: Datastore, limit: int) -> None:
    """An ingested datastore: its raw tables, and `di_<datastore>`, which may write only those
    (and connect, and make the temporary tables it stages rows in)."""
    owner = f"datastore {store.name!r}"
    role = names.ingestion_role(store.name, desired.role_prefix)
    key = names.ingestion_credentials(store.name)
    _add_role(desired, RoleSpec(role, login=True, connection_limit=limit, transformer=key), owner)
    _claim(desired, "credentials Secret", credentials_secret(key), owner)
    desired.credentials[key] = role
    if RAW_SCHEMA not in desired.schemas:
        desired.schemas[RAW_SCHEMA] = "raw tables of ingested datastores"
    # the database is the warehouse's own: named '' (the sync's connection is in it)
    desired.grants |= {Grant("database", "", "", "", p, role) for p in DATABASE_PRIVILEGES}
    desired.grants.add(Grant("schema", "", RAW_SCHEMA, "", "USAGE", role))
    for table in raw_table_specs(store):
        desired.tables[(RAW_SCHEMA, table.name)] = table  # its name was claimed with the raw tables
        desired.grants |= {Grant("table", RAW_SCHEMA, table.name, "", p, role) for p in RAW_WRITES}


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
    views = desired.views
    for (store, dataset), columns in _sunk(workspace).items():
        for view in _views(desired, model, schema, store, dataset, columns):
            # its name is claimed by the view itself (10,000 views: no owner's text made
            # unless two sinks meet)
            first = views.setdefault((schema, view.name), view)
            if first is not view:
                sinks = (f"{owner}'s sink {s.sink!r}" for s in (view, first))
                _collision("view", f"{schema}.{view.name}", *sinks)
            desired.grants.add(Grant("table", schema, view.name, "", "SELECT", reader))


Sunk = tuple[list[str] | None, bool]  # the columns (None: all), and whether history is asked


def _sunk(workspace: Workspace) -> dict[tuple[str, str], Sunk]:
    """The datasets a workspace sinks, with their columns (None: all) and whether one of the
    sinks asks for its history; repeated sinks merged."""
    merged: dict[tuple[str, str], Sunk] = {}
    sinks: list[Sink] = [s for g in workspace.spec.dataset_groups for s in g.sinks]
    for sink in sinks:
        key = (sink.datastore, sink.dataset)
        before, history = merged.get(key, ([], False))
        history = history or sink.history
        if (key in merged and before is None) or sink.columns is None:
            merged[key] = (None, history)
        else:
            assert before is not None
            merged[key] = (before + [c for c in sink.columns if c not in before], history)
    return merged


@dataclass(slots=True)
class _Source:
    """What every sink of one dataset shares: the table its views read, its columns, and its
    views' names; worked out once per desired state (10,000 sinks of 1,000 datasets)."""

    schema: str
    table: str
    columns: tuple[tuple[str, str], ...]  # (model name, warehouse name), in the dataset's order
    versions: bool  # a forensic raw table: its views show the current rows
    sink: str  # Datastore.dataset
    view: str  # the name of a workspace's view of it, and of its history view
    history: str
    # a sink's columns (None: all) -> the warehouse names its view exposes, in the dataset's
    # order: sinks of one dataset mostly ask for the same columns
    exposed: dict[tuple[str, ...] | None, tuple[str, ...]] = field(default_factory=dict)

    def exposing(self, columns: list[str] | None) -> tuple[str, ...]:
        """The warehouse names of a sink's columns (None: all), in the dataset's order."""
        key = None if columns is None else tuple(columns)
        found = self.exposed.get(key)
        if found is None and columns is None:
            found = self.exposed[key] = tuple(physical for _, physical in self.columns)
        elif found is None:
            chosen = set(columns or ())
            found = tuple(physical for column, physical in self.columns if column in chosen)
            self.exposed[key] = found
        return found


def _source(model: Model, store: str, name: str) -> _Source | None:
    """The source of a sunk dataset, None when the model has no such dataset."""
    datastore = model.datastores.get(store)
    dataset = datastore.datasets.get(name) if datastore else None
    if datastore is None or dataset is None:
        return None
    if datastore.producer is not None:
        schema, table = names.output_schema(datastore.producer), names.physical(name)
    else:
        schema, table = RAW_SCHEMA, names.raw_table(store, name)
    columns = tuple((c.name, names.physical(c.name)) for c in dataset.columns)
    versions = datastore.producer is None and is_ingested(datastore) and forensic(datastore)
    view, history = names.raw_table(store, name), names.history_view(store, name)
    return _Source(schema, table, columns, versions, f"{store}.{name}", view, history)


def _views(
    desired: Desired, model: Model, schema: str, store: str, name: str, sunk: Sunk
) -> list[ViewSpec]:
    """A sink's view (of current rows, over a forensic table) and, when asked, its history view."""
    columns, history = sunk
    key = (store, name)
    if key not in desired.sources:
        desired.sources[key] = _source(model, store, name)
    source = desired.sources[key]
    if source is None:
        desired.problems.append(f"{schema}: sink {store}.{name} names no dataset; no view")
        return []
    wanted = source.exposing(columns)
    at, table, versions = source.schema, source.table, source.versions
    views = [ViewSpec(schema, source.view, at, table, wanted, source.sink, versions)]
    if versions and history:
        shown = (*wanted, BATCH_IN, BATCH_OUT)
        views.append(ViewSpec(schema, source.history, at, table, shown, f"{source.sink} (history)"))
    return views


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
