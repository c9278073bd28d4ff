"""A PostgreSQL source: where it is, its schema checked against the model, its rows streamed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Literal

import asyncpg

from app.ecosystem.spec.datastore import Ingestion
from app.ingestion.reader import Output, Target
from app.ingestion.streams import streaming
from app.ingestion.tables import IngestionError, RawTable
from app.security.warehouses.postgres_sql import qualified, quote_ident

# The settings that decide how a session prints values as text: a snapshot compared with the
# current rows as text has the warehouse print them as its source does (app/ingestion/snapshot.py)
PRINTING = ("DateStyle", "IntervalStyle", "TimeZone", "extra_float_digits", "bytea_output")


@dataclass(frozen=True, slots=True)
class SourceLogin:
    """The user and password an ingestion reads its source with."""

    user: str
    password: str

    def __repr__(self) -> str:  # never print the password
        return f"SourceLogin(user={self.user!r})"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a source database is: `ingestion.source`'s engine, host, port, database, schema."""

    engine: str
    host: str
    port: int
    database: str
    schema: str

    @classmethod
    def of(
        cls, datastore: str, ingestion: Ingestion, hosts: Mapping[str, str] | None = None
    ) -> Endpoint:
        """The endpoint of an ingestion's source, its host mapped by `hosts` (ECOPLANE_SOURCE_HOSTS:
        model host → host[:port]) when it is there; missing settings are named."""
        source = ingestion.source
        missing = [k for k in ("host", "database") if not source.get(k)]
        if missing:
            raise IngestionError(
                f"datastore {datastore!r}: ingestion.source lacks {', '.join(missing)}"
            )
        engine = str(source.get("engine", "postgres"))
        default_port, default_schema = (3306, "") if engine == "mysql" else (5432, "public")
        host, port = str(source["host"]), int(source.get("port", default_port))
        if mapped := (hosts or {}).get(host):
            host, _, given = mapped.rpartition(":") if ":" in mapped else (mapped, "", "")
            port = int(given) if given else port
        return cls(
            engine, host, port, str(source["database"]), str(source.get("schema", default_schema))
        )

    def __str__(self) -> str:
        return f"{self.engine}://{self.host}:{self.port}/{self.database}"


async def open_postgres(endpoint: Endpoint, login: SourceLogin) -> asyncpg.Connection:
    """A connection to a PostgreSQL source (refusals named, the password never shown)."""
    try:
        return await asyncpg.connect(
            host=endpoint.host,
            port=endpoint.port,
            database=endpoint.database,
            user=login.user,
            password=login.password,
        )
    except (OSError, asyncpg.PostgresError) as error:
        raise IngestionError(
            f"cannot connect to source {endpoint} as {login.user!r}: {type(error).__name__}"
        ) from None


async def source_columns(
    connection: asyncpg.Connection, endpoint: Endpoint, table: RawTable
) -> dict[str, str]:
    """The source table's columns by modelled name (matched exactly, else case-insensitively)."""
    rows = await connection.fetch(
        "SELECT a.attname FROM pg_attribute a WHERE a.attrelid = to_regclass($1)"
        " AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        qualified(endpoint.schema, table.source_table),
    )
    found = [r["attname"] for r in rows]
    folded = {name.lower(): name for name in found}
    return {
        c.name: c.name if c.name in found else folded[c.name.lower()]
        for c in table.columns
        if c.name in found or c.name.lower() in folded
    }


async def source_differences(
    connection: asyncpg.Connection, endpoint: Endpoint, table: RawTable, found: dict[str, str]
) -> list[str]:
    """What the source lacks or holds in a type that cannot be cast to the modelled one."""
    where = f"{endpoint.schema}.{table.source_table}"
    if not found:
        return [f"source table {where} does not exist or has none of the modelled columns"]
    lacking = [
        f"source table {where} lacks column {c.name!r}"
        for c in table.columns
        if c.name not in found
    ]
    present = [c for c in table.columns if c.name in found]
    source = qualified(endpoint.schema, table.source_table)

    async def refused(columns: list[str]) -> str | None:
        try:
            await connection.execute(f"EXPLAIN SELECT {', '.join(columns)} FROM {source}")
        except asyncpg.PostgresError as error:
            return str(error)
        return None

    casts = {c.name: f"CAST({quote_ident(found[c.name])} AS {c.type})" for c in present}
    if await refused(list(casts.values())) is None:
        return lacking
    for column in present:
        if reason := await refused([casts[column.name]]):
            lacking.append(f"source column {where}.{found[column.name]}: {reason}")
    return lacking


def copy_query(
    endpoint: Endpoint,
    table: RawTable,
    found: dict[str, str],
    after: str | None,
    watermark: str | None,
    batch_in: int | None = None,
    ordered: bool = False,
) -> str:
    """The SELECT a batch streams: the modelled columns cast to their modelled types (what the
    schema check tried: the rows travel as binary COPY, the warehouse's own representation),
    past the watermark when there is one; a first forensic batch's number as the last column;
    `ordered`, by the cast primary key (a source column of the modelled type: its index)."""
    columns = ", ".join(f"CAST({quote_ident(found[c.name])} AS {c.type})" for c in table.columns)
    if batch_in is not None:
        columns += f", CAST({int(batch_in)} AS bigint)"
    query = f"SELECT {columns} FROM {qualified(endpoint.schema, table.source_table)}"
    if watermark is not None and after is not None:
        column = next(c for c in table.columns if c.name == watermark)
        query += (
            f" WHERE {quote_ident(found[watermark])} > CAST({_literal(after)} AS {column.type})"
        )
    if ordered:
        query += " ORDER BY " + ", ".join(
            str(i) for i, c in enumerate(table.columns, start=1) if c.key
        )
    return query


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


async def pipe(
    source: asyncpg.Connection, query: str, warehouse: asyncpg.Connection, target: Target
) -> int:
    """Stream a query's rows from the source into a table (staging, or an empty raw table) in
    COPY's binary format (no text to print and parse again); the rows copied."""
    columns = list(target.columns) if target.columns is not None else None
    async with source_rows(source, query, "binary") as rows:
        status = await warehouse.copy_to_table(
            target.name, source=rows, format="binary", schema_name=target.schema, columns=columns
        )
    return int(status.rsplit(" ", 1)[-1])


def source_rows(
    source: asyncpg.Connection, query: str, form: Literal["text", "binary"] = "text"
) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
    """`COPY (query) TO STDOUT` on the source in COPY's `form`, its chunks read in the block;
    a block that ends early ends the connection (`streaming`)."""

    def copy(put: Output) -> Awaitable[str]:
        return source.copy_from_query(query, output=put, format=form)

    return streaming(copy, "reading the source failed", source.terminate)


class PostgresReader:
    """A PostgreSQL source behind the reader seam (`app/ingestion/reader.py`)."""

    def __init__(self, endpoint: Endpoint, connection: asyncpg.Connection) -> None:
        self.endpoint = endpoint
        self._connection = connection
        self._found: dict[str, dict[str, str]] = {}

    @classmethod
    async def open(cls, endpoint: Endpoint, login: SourceLogin) -> PostgresReader:
        """A connection to the source (refusals named, the password never shown)."""
        return cls(endpoint, await open_postgres(endpoint, login))

    async def columns(self, table: RawTable) -> dict[str, str]:
        """The source table's columns by modelled name."""
        self._found[table.name] = await source_columns(self._connection, self.endpoint, table)
        return self._found[table.name]

    async def differences(self, table: RawTable, found: dict[str, str]) -> list[str]:
        """What the source lacks or holds in a type that cannot be cast to the modelled one."""
        return await source_differences(self._connection, self.endpoint, table, found)

    async def copy(
        self,
        table: RawTable,
        after: str | None,
        watermark: str | None,
        warehouse: asyncpg.Connection,
        target: Target,
    ) -> int:
        """`COPY (SELECT ...) TO STDOUT` at the source piped into the target."""
        found = self._found[table.name]
        query = copy_query(self.endpoint, table, found, after, watermark, target.batch_in)
        return await pipe(self._connection, query, warehouse, target)

    async def printing(self) -> dict[str, str]:
        """How this session prints values as text (`PRINTING`)."""
        row = await self._connection.fetchrow(
            "SELECT " + ", ".join(f"current_setting('{name}')" for name in PRINTING)
        )
        assert row is not None
        return dict(zip(PRINTING, row, strict=True))

    def ordered(self, table: RawTable) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """`COPY (SELECT ... ORDER BY key) TO STDOUT` as text, its chunks read in the block; a
        block that ends early ends the connection (`streaming`)."""
        query = copy_query(self.endpoint, table, self._found[table.name], None, None, ordered=True)
        return source_rows(self._connection, query)

    async def close(self) -> None:
        """Close the connection."""
        await self._connection.close()
