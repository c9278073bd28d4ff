"""SQL that renders the API's JSON in Postgres: one text value per answer, no rows to convert.

The keys are the API's camelCase names of the columns; the routes send the text as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from app.errors import NotFoundError


def camel(name: str) -> str:
    """production_status -> productionStatus."""
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


def json_object(alias: str, columns: Iterable[str], /, **computed: str) -> str:
    """`json_build_object(...)` of an alias's columns, then of computed values by name."""
    pairs = {camel(name): f"{alias}.{name}" for name in columns}
    return _build({**pairs, **{camel(k): v for k, v in computed.items()}})


def _build(pairs: Mapping[str, str]) -> str:
    return "json_build_object(" + ", ".join(f"'{k}', {v}" for k, v in pairs.items()) + ")"


def json_page(select: str, item: str, key: str, limit_parameter: str) -> str:
    """A page in one row: `items` (json text of up to limit items), `more`, and the `last` key.

    `select` must yield limit+1 rows (its LIMIT is `limit_parameter`) as alias `p`, ordered by
    `key`; `item` is the JSON of one row of `p`.
    """
    limit = limit_parameter
    return (
        f"WITH page AS ({select}),"
        f" numbered AS (SELECT *, row_number() OVER (ORDER BY {key}) AS n FROM page)"
        f" SELECT coalesce(json_agg({item} ORDER BY p.{key}) FILTER (WHERE n < {limit}), '[]')::text"
        f" AS items, count(*) = {limit} AS more, max(p.{key}) FILTER (WHERE n = {limit} - 1) AS last"
        " FROM numbered p"
    )


@dataclass(frozen=True, slots=True)
class JsonPage:
    """A page rendered by Postgres: the items' JSON text and the last key when more follow."""

    items: str
    last: Any = None


async def fetch_json_page(connection: asyncpg.Connection, query: str, *args: object) -> JsonPage:
    """Run a `json_page` query."""
    row = await connection.fetchrow(query, *args)
    assert row is not None  # an aggregate always answers one row
    return JsonPage(row["items"], row["last"] if row["more"] else None)


async def fetch_json(
    connection: asyncpg.Connection, query: str, *args: object, missing: str
) -> str:
    """The JSON text one query makes of one entity; NotFoundError(`missing`) without it."""
    found: str | None = await connection.fetchval(query, *args)
    if found is None:
        raise NotFoundError(missing)
    return found
