"""Rebuild a stored model version as a Model, from its rows in the model tables.

The rows are read with one query per table, turned back into the user's documents
(`app.catalog.row_documents`), validated with the document types and assembled like the
loader does (builtin rows are skipped: ecoplane adds its builtins again). `diff_models`
between the loaded model and the rebuilt one is empty, both ways round. What the tables do
not keep is what no change check looks at: the order of datasets, dataset groups, vendors,
locations, platforms, zones and teams (stored by name; columns and sinks keep theirs), the
repetition of an approval, the Ecosystem document's labels, which teams had a Team document,
and where anything was written (problems keep their file, line and column).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from typing import Any

import asyncpg
from pydantic import ValidationError

from app.catalog.row_documents import Rows, model_documents
from app.catalog.schema import ENTITY_PREFIX
from app.catalog.store import CatalogError
from app.db.model_versions import model_is_stored
from app.ecosystem.assemble import Assembler, Placed
from app.ecosystem.builtins import builtin_documents
from app.ecosystem.loader import collector_paused
from app.ecosystem.model import Model
from app.ecosystem.model_tables import MODEL_TABLES
from app.ecosystem.problems import BUILTIN_SOURCE, Problem, Problems, Severity, Source
from app.ecosystem.spec.documents import DOCUMENT_TYPES, Document
from app.errors import NotFoundError

KEPT_MODELS = 2  # versions whose rebuilt model is kept: the active one and the one before

COLUMN_NAMES = {table: [c.name for c in t.columns] for table, t in MODEL_TABLES.items()}
ORDER_BY = {"columns": ("datastore", "dataset", "ordinal")}  # the others: their primary key


async def model_of_version(connection: asyncpg.Connection, version_id: int) -> Model:
    """The model of a stored version, rebuilt from its rows (builtins added, problems kept)."""
    if connection.is_in_transaction():
        version, records = await _read(connection, version_id)
    else:  # one snapshot for every table
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            version, records = await _read(connection, version_id)
    model = await asyncio.to_thread(_rebuild, f"model version {version_id}", records)
    model.content_hash = version["content_hash"]
    return model


class KeptModels:
    """The rebuilt models of the versions last asked about: a version never changes, so each is
    rebuilt once per process however often (and however concurrently) it is asked for."""

    def __init__(self, size: int = KEPT_MODELS) -> None:
        self.size = size
        self.models: OrderedDict[int, Model] = OrderedDict()
        self.building: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def model(self, connection: asyncpg.Connection, version_id: int) -> Model:
        """The model of a stored version, rebuilt on first use; NotFoundError as the rebuild."""
        async with self.building[version_id]:
            found = self.models.get(version_id)
            if found is None:
                found = self.models[version_id] = await model_of_version(connection, version_id)
                while len(self.models) > self.size:
                    evicted, _ = self.models.popitem(last=False)
                    self.building.pop(evicted, None)
            self.models.move_to_end(version_id)
            return found


def _rebuild(origin: str, records: dict[str, list[asyncpg.Record]]) -> Model:
    """The rows as a model, with their problems (CPU-bound: run off the event loop)."""
    with collector_paused():
        rows = {table: [dict(r) for r in found] for table, found in records.items()}
        model = _assemble(origin, rows)
    model.problems = [_problem(row) for row in rows["problems"]]
    return model


async def _read(
    connection: asyncpg.Connection, version_id: int
) -> tuple[asyncpg.Record, dict[str, list[asyncpg.Record]]]:
    version = await connection.fetchrow(
        "SELECT state, errors, content_hash FROM model_versions WHERE id = $1", version_id
    )
    if version is None:
        raise NotFoundError(f"model version {version_id} does not exist")
    if not model_is_stored(version["state"], version["errors"]):
        raise NotFoundError(
            f"model version {version_id} is {version['state']}: its model is not stored"
        )
    rows = {table: await _table(connection, table, version_id) for table in MODEL_TABLES}
    return version, rows


async def _table(
    connection: asyncpg.Connection, table: str, version_id: int
) -> list[asyncpg.Record]:
    """A table's rows of the version, in primary-key order."""
    columns = MODEL_TABLES[table].columns
    order = ORDER_BY.get(table) or tuple(c.name for c in columns if c.primary_key)
    return await connection.fetch(
        f"SELECT {_quoted(COLUMN_NAMES[table])} FROM {ENTITY_PREFIX}{table}"
        f" WHERE version_id = $1 ORDER BY {_quoted(order)}",
        version_id,
    )


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def _assemble(origin: str, rows: Rows) -> Model:
    """Documents from the rows, validated and assembled with the builtins (CPU-bound)."""
    placed = [Placed(_typed(data), BUILTIN_SOURCE, builtin=True) for data in builtin_documents()]
    for index, data in enumerate(model_documents(rows)):
        try:
            placed.append(Placed(_typed(data), Source(origin, index)))
        except ValidationError as error:
            raise CatalogError(
                f"{origin} cannot be rebuilt: {data['kind']} "
                f"{data['metadata'].get('name')!r} does not validate: {error}"
            ) from error
    return Assembler(Problems()).add_all(placed)


def _typed(data: dict[str, Any]) -> Document:
    document: Document = DOCUMENT_TYPES[str(data["kind"])].model_validate(data)  # type: ignore[assignment]
    return document


def _problem(row: dict[str, Any]) -> Problem:
    return Problem(
        Severity(row["severity"]),
        row["code"],
        row["message"],
        row["file"],
        row["path"] or "",
        row["line"] or 0,
        row["column_number"] or 0,
    )
