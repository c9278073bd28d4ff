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


@dataclass(frozen=True, slots=True)
class JsonPage:
    """A page whose items are JSON made ahead: their JSON array text, and the last key when
    more follow."""

    items: str
    last: Any = None


async def fetch_json(
    connection: asyncpg.Connection, query: str, *args: object, missing: str
) -> str:
    """The JSON text one query makes of one entity; NotFoundError(`missing`) without it."""
    found: str | None = await connection.fetchval(query, *args)
    if found is None:
        raise NotFoundError(missing)
    return found
