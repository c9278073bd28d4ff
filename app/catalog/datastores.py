"""Reading datastores and datasets of a version, with the filters of the API."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import asyncpg

from app.catalog.json_sql import JsonPage, fetch_json, json_object
from app.errors import NotFoundError

# the columns of a datastore answer, as json_object takes them
STORE_JSON = (
    "name", "zone", "team", "description", "production_status", "deprecated",
    "deprecation_reason", "ingestion_kind", "trigger_kind", "trigger_cron", "approval_required",
    "producer", "builtin",
)  # fmt: skip
STORE_FIELDS = (
    "d.name, d.zone, d.team, d.description, d.production_status, d.deprecated, d.deprecation_reason,"
    " d.ingestion_kind, d.trigger_kind, d.trigger_cron, d.approval_required, d.producer, d.labels, d.builtin"
)


@dataclass(frozen=True, slots=True)
class DatastoreFilter:
    """The filters of GET /datastores; None means no filter."""

    zone: str | None = None
    team: str | None = None
    production_status: str | None = None
    deprecated: bool | None = None
    classification: str | None = None
    q: str | None = None


# each filter's condition on a datastore `d`, `{}` its parameter: a page's query holds only the
# filters asked for, so Postgres keeps one plan per combination instead of planning a query
# whose every filter is optional (`$2 IS NULL OR d.zone = $2`) again for each request
STORE_FILTERS = {
    "zone": "d.zone = {}",
    "team": "d.team = {}",
    "production_status": "d.production_status = {}",
    "deprecated": "d.deprecated = {}",
    "classification": "(EXISTS (SELECT 1 FROM model_datasets s WHERE s.version_id = d.version_id"
    " AND s.datastore = d.name AND {0} = ANY (s.classification))"
    " OR EXISTS (SELECT 1 FROM model_columns c WHERE c.version_id = d.version_id"
    " AND c.datastore = d.name AND {0} = ANY (c.classification)))",
    "q": "(strpos(lower(d.name), lower({0})) > 0"
    " OR strpos(lower(coalesce(d.description, '')), lower({0})) > 0)",
    "after": "d.name > {}",
}


@cache
def store_list(filters: tuple[str, ...]) -> str:
    """The page query with these filters ($2, $3, ... in their order; the limit last): each
    datastore's list item was made when its version was stored (the served column list_item)."""
    conditions = ["d.version_id = $1"]
    for number, name in enumerate(filters, start=2):
        conditions.append(STORE_FILTERS[name].format(f"${number}"))
    return (
        f"SELECT d.name, d.list_item FROM model_datastores d WHERE {' AND '.join(conditions)}"
        f" ORDER BY d.name LIMIT ${len(filters) + 2}"
    )


async def list_datastores(
    connection: asyncpg.Connection,
    version_id: int,
    where: DatastoreFilter,
    after: str | None,
    limit: int,
) -> JsonPage:
    """A page of datastores by name after a name: their list items joined as they are stored."""
    asked = {name: after if name == "after" else getattr(where, name) for name in STORE_FILTERS}
    given = {name: value for name, value in asked.items() if value is not None}
    rows = await connection.fetch(store_list(tuple(given)), version_id, *given.values(), limit + 1)
    items = "[" + ",".join(row[1] for row in rows[:limit]) + "]"
    return JsonPage(items, rows[limit - 1][0] if len(rows) > limit else None)


COLUMN_JSON = json_object(
    "c", ("name", "ordinal", "type", "nullable", "primary_key"),
    classification="coalesce(c.classification, '{}')", description="c.description",
)  # fmt: skip
DATASET_JSON = json_object(
    "s", ("name", "description"),
    classification="coalesce(s.classification, '{}')", deprecated="s.deprecated",
    deprecation_reason="s.deprecation_reason", primary_key="s.primary_key",
    columns=f"coalesce((SELECT json_agg({COLUMN_JSON} ORDER BY c.ordinal) FROM model_columns c"
    " WHERE c.version_id = $1 AND c.datastore = s.datastore AND c.dataset = s.name), '[]')",
)  # fmt: skip
# a datastore with its datasets and their columns: one query, the JSON of the answer
DATASTORE_DETAIL = (
    "SELECT "
    + json_object(
        "d", STORE_JSON[:-1], labels="coalesce(d.labels, '{}')", builtin="d.builtin",
        datasets=f"coalesce((SELECT json_agg({DATASET_JSON} ORDER BY s.name) FROM model_datasets s"
        " WHERE s.version_id = $1 AND s.datastore = d.name), '[]')",
    )
    + "::text FROM model_datastores d WHERE d.version_id = $1 AND d.name = $2"
)  # fmt: skip
DATASET_DETAIL = (
    f"SELECT {DATASET_JSON}::text FROM model_datasets s"
    " WHERE s.version_id = $1 AND s.datastore = $2 AND s.name = $3"
)


async def datastore_json(connection: asyncpg.Connection, version_id: int, name: str) -> str:
    """The API's JSON of a datastore with its datasets and their columns, made by Postgres."""
    return await fetch_json(
        connection, DATASTORE_DETAIL, version_id, name,
        missing=f"datastore {name!r} does not exist in model version {version_id}",
    )  # fmt: skip


async def dataset_json(
    connection: asyncpg.Connection, version_id: int, store: str, dataset: str
) -> str:
    """The API's JSON of one dataset with its columns, made by Postgres."""
    found: str | None = await connection.fetchval(DATASET_DETAIL, version_id, store, dataset)
    if found is None:
        await _missing_dataset(connection, version_id, store, dataset)
    assert found is not None
    return found


async def get_datastore(
    connection: asyncpg.Connection, version_id: int, name: str
) -> dict[str, Any]:
    """A datastore with its datasets and their columns."""
    row = await connection.fetchrow(
        f"SELECT {STORE_FIELDS} FROM model_datastores d WHERE d.version_id = $1 AND d.name = $2",
        version_id,
        name,
    )
    if row is None:
        raise NotFoundError(f"datastore {name!r} does not exist in model version {version_id}")
    datasets = await _datasets(connection, version_id, name, None)
    return {**dict(row), "datasets": datasets}


async def get_dataset(
    connection: asyncpg.Connection, version_id: int, store: str, dataset: str
) -> dict[str, Any]:
    """One dataset with its columns."""
    found = await _datasets(connection, version_id, store, dataset)
    if not found:
        await _missing_dataset(connection, version_id, store, dataset)
    return found[0]


async def _missing_dataset(
    connection: asyncpg.Connection, version_id: int, store: str, dataset: str
) -> None:
    """404: the datastore does not exist, or has no such dataset."""
    if not await connection.fetchval(
        "SELECT 1 FROM model_datastores WHERE version_id = $1 AND name = $2", version_id, store
    ):
        raise NotFoundError(f"datastore {store!r} does not exist in model version {version_id}")
    raise NotFoundError(
        f"datastore {store!r} has no dataset {dataset!r} in model version {version_id}"
    )


async def _datasets(
    connection: asyncpg.Connection, version_id: int, store: str, only: str | None
) -> list[dict[str, Any]]:
    datasets = await connection.fetch(
        "SELECT name, description, classification, deprecated, deprecation_reason, primary_key FROM model_datasets"
        " WHERE version_id = $1 AND datastore = $2 AND ($3::text IS NULL OR name = $3) ORDER BY name",
        version_id, store, only,
    )  # fmt: skip
    columns = await connection.fetch(
        "SELECT dataset, name, ordinal, type, nullable, primary_key, classification, description FROM model_columns"
        " WHERE version_id = $1 AND datastore = $2 AND ($3::text IS NULL OR dataset = $3) ORDER BY dataset, ordinal",
        version_id, store, only,
    )  # fmt: skip
    by_dataset: dict[str, list[dict[str, Any]]] = {}
    for column in columns:
        entry = dict(column)
        entry["classification"] = entry["classification"] or []
        by_dataset.setdefault(entry.pop("dataset"), []).append(entry)
    return [
        {
            **dict(d),
            "classification": d["classification"] or [],
            "columns": by_dataset.get(d["name"], []),
        }
        for d in datasets
    ]
