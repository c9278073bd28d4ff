"""Fill the warehouse's raw tables of a model with realistic, deterministic rows.

Every dataset of a datastore that no transformer writes gets `raw.<datastore>__<dataset>`
(created with the model's columns and primary key when missing); its rows are replaced, all
tables in one transaction, by COPY. The same model, seed, row count and day give the same rows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime

import asyncpg

from app.ecosystem.model import Model
from app.errors import AppError
from app.examples.acme import RECIPES
from app.examples.rows import Row, Seeding, Table, ingested_tables, make_rows
from app.security import names
from app.security.desired import RAW_SCHEMA
from app.security.warehouses.postgres_connection import connect, warehouse_url
from app.security.warehouses.postgres_sql import qualified, quote_ident
from app.security.warehouses.postgres_types import postgres_type
from app.settings import Settings

DEFAULT_ROWS = 200
DEFAULT_SEED = 42
DEFAULT_DAYS = 30


class SeedError(AppError):
    """The raw tables could not be seeded (a table of another shape, a failing statement)."""

    status = 409
    type = "seed-failed"


@dataclass(frozen=True, slots=True)
class SeedReport:
    """What a seeding wrote: rows per raw table, and the tables it created."""

    tables: dict[str, int]
    created: tuple[str, ...]

    @property
    def rows(self) -> int:
        """Rows written in all."""
        return sum(self.tables.values())


def seed_rows(
    model: Model,
    rows: int = DEFAULT_ROWS,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
    days: int = DEFAULT_DAYS,
) -> list[tuple[Table, list[Row]]]:
    """The rows of every raw table of the model (pure: no I/O)."""
    tables = {t.key: t for t in ingested_tables(model)}
    day = today or datetime.now(UTC).date()
    seeding = Seeding(random.Random(seed), day, days, rows, tables)
    made = make_rows(seeding, RECIPES)
    return [(table, made.get(key, [])) for key, table in tables.items()]


async def seed_warehouse(
    url: str,
    model: Model,
    rows: int = DEFAULT_ROWS,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
    sourced: frozenset[str] = frozenset(),
) -> SeedReport:
    """Create the raw tables that are missing and replace the rows of all, in one transaction;
    the tables of the `sourced` datastores (ingested for real) are only created, left empty."""
    content = seed_rows(model, rows, seed, today)
    connection = await connect(url)
    try:
        async with connection.transaction():
            return await _write(connection, content, sourced)
    except asyncpg.PostgresError as error:
        raise SeedError(f"seeding the warehouse failed: {error}") from None
    finally:
        await connection.close()


async def seed_if_missing(
    settings: Settings,
    model: Model,
    rows: int = DEFAULT_ROWS,
    seed: int = DEFAULT_SEED,
    sourced: frozenset[str] = frozenset(),
) -> SeedReport | None:
    """Seed the warehouse of these settings when none of the model's raw tables exists yet
    (the tables of the `sourced` datastores created empty: their ingestion fills them)."""
    url = await warehouse_url(settings)
    wanted = [names.raw_table(t.datastore, t.dataset.name) for t in ingested_tables(model)]
    connection = await connect(url)
    try:
        found = await connection.fetchval(
            "SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = ANY($2::text[])",
            RAW_SCHEMA,
            wanted,
        )
    finally:
        await connection.close()
    return None if found else await seed_warehouse(url, model, rows, seed, sourced=sourced)


async def _write(
    connection: asyncpg.Connection,
    content: list[tuple[Table, list[Row]]],
    sourced: frozenset[str] = frozenset(),
) -> SeedReport:
    await connection.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(RAW_SCHEMA)}")
    existing = await _existing_columns(connection)
    created, written = [], {}
    for table, _ in content:
        name = names.raw_table(table.datastore, table.dataset.name)
        if name not in existing:
            await connection.execute(_create_table(name, table))
            created.append(name)
        else:
            _check_columns(name, table, existing[name])
    content = [(t, r) for t, r in content if t.datastore not in sourced]
    if content:
        tables = ", ".join(
            qualified(RAW_SCHEMA, names.raw_table(t.datastore, t.dataset.name))
            for t, _ in content
        )
        await connection.execute(f"TRUNCATE {tables}")
    for table, rows in content:
        name = names.raw_table(table.datastore, table.dataset.name)
        columns = list(table.types)
        await connection.copy_records_to_table(
            name,
            schema_name=RAW_SCHEMA,
            columns=[names.physical(c) for c in columns],
            records=[tuple(row.get(c) for c in columns) for row in rows],
        )
        written[name] = len(rows)
    return SeedReport(written, tuple(created))


async def _existing_columns(connection: asyncpg.Connection) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for record in await connection.fetch(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1",
        RAW_SCHEMA,
    ):
        found.setdefault(record["table_name"], set()).add(record["column_name"])
    return found


def _check_columns(name: str, table: Table, existing: set[str]) -> None:
    missing = [c for c in table.types if names.physical(c) not in existing]
    if missing:
        raise SeedError(
            f"raw table {RAW_SCHEMA}.{name} (dataset {table.datastore}.{table.dataset.name}) "
            f"lacks the declared column(s) {', '.join(missing)}; drop it or add them"
        )


def _create_table(name: str, table: Table) -> str:
    columns = [
        f"{quote_ident(names.physical(c.name))} {postgres_type(c.type)}"
        + ("" if c.is_nullable else " NOT NULL")
        for c in table.dataset.columns
    ]
    keys = [quote_ident(names.physical(c)) for c in table.primary_key]
    if keys:
        columns.append(f"PRIMARY KEY ({', '.join(keys)})")
    return f"CREATE TABLE {qualified(RAW_SCHEMA, name)} ({', '.join(columns)})"
