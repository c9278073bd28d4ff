"""Copy the active model version into the warehouse: one read snapshot, one write transaction.

The model is read from the control-plane database as the read-only dashboard role
(ECOPLANE_MODEL_DATABASE_URL) in one REPEATABLE READ READ ONLY transaction, so every table
comes from the same version even while another one is activated. The warehouse is written
with the transformer's own role (the PG* variables) in one transaction: each table's rows are
deleted and the version's rows copied in (binary COPY, streamed from a cursor). DELETE, not
TRUNCATE: TRUNCATE is not MVCC-safe (a reader whose snapshot predates it would see an empty
table) and would wait for every reader's lock; with DELETE a reader sees the old export or
the new one, never a mix.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import asyncpg

from app.catalog.schema import ENTITY_PREFIX
from app.db.urls import asyncpg_dsn, redacted
from app.ecosystem.model_tables import MODEL_TABLES, ModelTable
from app.security.names import physical
from app.security.warehouses.postgres_sql import qualified, quote_ident
from app.security.warehouses.postgres_types import postgres_type

APPLICATION_NAME = "ecoplane-externalize-model"
PREFETCH = 5000  # rows fetched per round trip from the model database
log = logging.getLogger("ecoplane.externalize_model")


class ExportError(Exception):
    """The export cannot run or failed; the message says why (never a password)."""


@dataclass(slots=True)
class Exported:
    """What one export wrote: the model version and the rows of each table."""

    version_id: int
    output_schema: str
    rows: dict[str, int] = field(default_factory=dict)


async def export_model(model_url: str, output_schema: str) -> Exported:
    """Replace the rows of every `ecoplane_model` table with the active version's."""
    control = await _connect_model(model_url)
    try:
        warehouse = await _connect_warehouse()
        try:
            async with control.transaction(isolation="repeatable_read", readonly=True):
                version_id = await control.fetchval("SELECT id FROM current_model_version")
                if version_id is None:
                    raise ExportError("no model version is active: there is nothing to export")
                exported = Exported(version_id, output_schema)
                async with warehouse.transaction():
                    await check_tables(warehouse, output_schema)
                    for name, table in MODEL_TABLES.items():
                        count = await _replace(control, warehouse, exported, name, table)
                        exported.rows[name] = count
            return exported
        finally:
            await warehouse.close()
    finally:
        await control.close()


async def check_tables(warehouse: asyncpg.Connection, schema: str) -> None:
    """Every table with every column of the type the security sync creates, or a clear error."""
    found = await warehouse.fetch(
        """
        SELECT c.relname AS table_name, a.attname AS column_name,
               format_type(a.atttypid, a.atttypmod) AS column_type
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
        """,
        schema,
    )
    actual: dict[str, dict[str, str]] = {}
    for row in found:
        actual.setdefault(row["table_name"], {})[row["column_name"]] = row["column_type"]
    for name, table in MODEL_TABLES.items():
        columns = actual.get(physical(name))
        where = f"{schema}.{physical(name)}"
        if columns is None:
            raise ExportError(f"table {where} does not exist: run the security sync first")
        for column in table.columns:
            wanted, have = postgres_type(column.type), columns.get(physical(column.name))
            if have != wanted:
                what = "is missing" if have is None else f"is {have}, not {wanted}"
                raise ExportError(
                    f"column {column.name} of {where} {what}: run the security sync first"
                )


async def _replace(
    control: asyncpg.Connection,
    warehouse: asyncpg.Connection,
    exported: Exported,
    name: str,
    table: ModelTable,
) -> int:
    """Delete the table's rows and copy the version's in; the number of rows copied."""
    columns = [c.name for c in table.columns]
    keys = [quote_ident(c.name) for c in table.columns if c.primary_key]
    query = (
        f"SELECT {', '.join(quote_ident(c) for c in columns)}"
        f" FROM {quote_ident(ENTITY_PREFIX + name)} WHERE version_id = $1"
        f" ORDER BY {', '.join(keys)}"
    )
    await warehouse.execute(f"DELETE FROM {qualified(exported.output_schema, physical(name))}")
    copied = 0

    async def records() -> AsyncIterator[tuple[object, ...]]:
        nonlocal copied
        async for record in control.cursor(query, exported.version_id, prefetch=PREFETCH):
            copied += 1
            yield tuple(record)  # jsonb as text and text[] as lists: what COPY takes

    await warehouse.copy_records_to_table(
        physical(name),
        schema_name=exported.output_schema,
        columns=[physical(c) for c in columns],
        records=records(),
    )
    log.info(
        "wrote %s rows into %s.%s", copied, exported.output_schema, physical(name),
        extra={"modelVersion": exported.version_id, "table": name, "rows": copied},
    )  # fmt: skip
    return copied


async def _connect_model(url: str) -> asyncpg.Connection:
    """The control-plane database as the read-only dashboard role."""
    try:
        dsn = asyncpg_dsn(url)
    except Exception:  # the parser's message repeats the URL, password and all
        raise ExportError("ECOPLANE_MODEL_DATABASE_URL is not a Postgres URL") from None
    try:
        return await asyncpg.connect(dsn, server_settings={"application_name": APPLICATION_NAME})
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        raise ExportError(
            f"cannot read the model at {redacted(url)}: {type(error).__name__}: {error}"
        ) from None


async def _connect_warehouse() -> asyncpg.Connection:
    """The warehouse as the transformer's own role, from the PG* variables."""
    try:
        return await asyncpg.connect(server_settings={"application_name": APPLICATION_NAME})
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        raise ExportError(
            f"cannot connect to the warehouse as {warehouse_login()}: {type(error).__name__}: {error}"
        ) from None


def warehouse_login() -> str:
    """user@host:port/database of the PG* variables (never the password)."""
    env = os.environ
    where = f"{env.get('PGHOST', 'localhost')}:{env.get('PGPORT', '5432')}"
    return f"{env.get('PGUSER', '?')}@{where}/{env.get('PGDATABASE', '?')}"
