"""A MySQL/MariaDB source: its schema checked against the model, its rows streamed into staging.

Rows come through an unbuffered cursor (the server streams the result; the client holds one
chunk of `CHUNK_ROWS` rows at a time), decoded by the driver (in C: Decimal, datetime, bytes,
...) and written with the warehouse's binary COPY (`copy_records_to_table`). That was as fast
or faster than writing COPY text ourselves from the server's text in every run of
bench/mysql_source.py (200,000 rows of 10 columns: 1.7-2.8 s against 2.3-3.4 s, the source's
read being most of either), with no escaping of our own; only booleans, dates and floats from
other types are fixed in Python (`mysql_types.fixup`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import asyncmy
import asyncpg
from asyncmy import converters
from asyncmy.constants import FIELD_TYPE
from asyncmy.cursors import Cursor, SSCursor
from asyncmy.errors import MySQLError

from app.ingestion.mysql_types import INTEGER_BITS, SourceColumn, UnfitValueError, castable, fixup
from app.ingestion.reader import Target
from app.ingestion.source import Endpoint, SourceLogin
from app.ingestion.tables import IngestionError, RawTable

CHUNK_ROWS = 5_000  # rows fetched and handed to the warehouse's COPY at a time
CONNECT_SECONDS = 10
# the driver's conversions, TIME as a time of day (the warehouse's `time`), not a timedelta
CONVERSIONS = converters.conversions | {FIELD_TYPE.TIME: converters.convert_time}
# TIMESTAMP values are read in UTC (they land in `timestamp` as UTC wall time); text in utf8mb4
SESSION = "SET time_zone = '+00:00', NAMES utf8mb4"
COLUMNS = (
    "SELECT column_name, data_type, column_type, character_maximum_length,"
    " numeric_precision, numeric_scale FROM information_schema.columns"
    " WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position"
)
WATERMARK_CASTS = {"decimal": "DECIMAL(65,30)", "date": "DATE"} | dict.fromkeys(
    ("datetime", "timestamp"), "DATETIME(6)"
)


def quote_name(name: str) -> str:
    """A MySQL identifier in backticks, a backtick inside it doubled."""
    return "`" + name.replace("`", "``") + "`"


class MysqlReader:
    """A connection to a MySQL/MariaDB source; the database is `schema` when given, else `database`."""

    def __init__(self, endpoint: Endpoint, connection: asyncmy.Connection) -> None:
        self.endpoint = endpoint
        self.database = endpoint.schema or endpoint.database
        self._connection = connection
        self._described: dict[str, dict[str, SourceColumn]] = {}
        self._abandoned = False

    @classmethod
    async def open(cls, endpoint: Endpoint, login: SourceLogin) -> MysqlReader:
        """A connection to the source (a refusal named, the password never shown)."""
        try:
            connection = await asyncmy.connect(
                host=endpoint.host,
                port=endpoint.port,
                user=login.user,
                password=login.password,
                database=endpoint.schema or endpoint.database,
                charset="utf8mb4",
                conv=CONVERSIONS,
                connect_timeout=CONNECT_SECONDS,
                init_command=SESSION,
                autocommit=True,
            )
        except (OSError, MySQLError, TimeoutError) as error:
            raise IngestionError(
                f"cannot connect to source {endpoint} as {login.user!r}: {_reason(error)}"
            ) from None
        return cls(endpoint, connection)

    async def columns(self, table: RawTable) -> dict[str, str]:
        """The source table's columns by modelled name (matched exactly, else case-insensitively)."""
        async with self._connection.cursor() as cursor:
            await cursor.execute(COLUMNS, (self.database, table.source_table))
            rows: Sequence[Sequence[str | None]] = await cursor.fetchall()
        described = {
            str(r[0]): SourceColumn(
                str(r[0]), str(r[1]).lower(), str(r[2]), _int(r[3]), _int(r[4]), _int(r[5])
            )
            for r in rows
        }
        folded = {name.lower(): name for name in described}
        found = {
            c.name: c.name if c.name in described else folded[c.name.lower()]
            for c in table.columns
            if c.name in described or c.name.lower() in folded
        }
        self._described[table.name] = {name: described[source] for name, source in found.items()}
        return found

    async def differences(self, table: RawTable, found: dict[str, str]) -> list[str]:
        """What the source lacks or holds in a type that cannot be cast to the modelled one."""
        where = f"{self.database}.{table.source_table}"
        if not found:
            return [f"source table {where} does not exist or has none of the modelled columns"]
        described = self._described[table.name]
        problems = []
        for column in table.columns:
            source = described.get(column.name)
            if source is None:
                problems.append(f"source table {where} lacks column {column.name!r}")
            elif not castable(source, column.type):
                problems.append(
                    f"source column {where}.{source.name}: cannot cast type "
                    f"{source.column_type} to {column.type}"
                )
        return problems

    def query(self, table: RawTable, after: str | None, watermark: str | None) -> str:
        """The SELECT a batch streams: the modelled columns, past the watermark when there is one."""
        described = self._described[table.name]
        columns = ", ".join(quote_name(described[c.name].name) for c in table.columns)
        query = (
            f"SELECT {columns} FROM {quote_name(self.database)}.{quote_name(table.source_table)}"
        )
        if watermark is not None and after is not None:
            source = described[watermark]
            literal = str(self._connection.escape(after))  # type: ignore[no-untyped-call]
            if source.data_type in INTEGER_BITS:
                cast = "UNSIGNED" if source.unsigned else "SIGNED"
                literal = f"CAST({literal} AS {cast})"
            elif source.data_type in WATERMARK_CASTS:
                literal = f"CAST({literal} AS {WATERMARK_CASTS[source.data_type]})"
            query += f" WHERE {quote_name(source.name)} > {literal}"
        return query

    async def copy(
        self,
        table: RawTable,
        after: str | None,
        watermark: str | None,
        warehouse: asyncpg.Connection,
        target: Target,
    ) -> int:
        """Stream the table's rows (past the watermark) into the target; the rows copied."""
        rows = self._rows(table, self.query(table, after, watermark))
        if target.batch_in is not None:
            rows = _ending(rows, target.batch_in)
        columns = list(target.columns) if target.columns is not None else None
        self._abandoned = True  # until the whole result is read: a close must not drain it
        try:
            status = await warehouse.copy_records_to_table(
                target.name, records=rows, schema_name=target.schema, columns=columns
            )
        except (asyncpg.DataError, TypeError, ValueError, AttributeError, OverflowError) as error:
            raise IngestionError(
                f"{table.label}: a source value does not fit its modelled column: {_reason(error)}"
            ) from None
        self._abandoned = False
        return int(status.rsplit(" ", 1)[-1])

    async def _rows(self, table: RawTable, query: str) -> AsyncIterator[Sequence[Any]]:
        described = self._described[table.name]
        sources = [described[c.name] for c in table.columns]
        fixes = [
            (i, fix)
            for i, (s, c) in enumerate(zip(sources, table.columns, strict=True))
            if (fix := fixup(s, c.type)) is not None
        ]
        try:
            cursor = self._connection.cursor(SSCursor)  # never closed mid-result: that drains it
            await cursor.execute(query)
            while rows := await self._fetch(cursor):
                for row in rows:
                    if not fixes:
                        yield row
                        continue
                    values = list(row)
                    for i, fix in fixes:
                        if values[i] is not None:
                            try:
                                values[i] = fix(values[i])
                            except UnfitValueError as unfit:
                                why = _unfit(table, row, sources[i].name, i, str(unfit))
                                raise IngestionError(why) from None
                    yield values
            await cursor.close()
        except (MySQLError, OSError) as error:
            raise IngestionError(f"reading the source failed: {_reason(error)}") from None

    async def _fetch(self, cursor: Cursor) -> list[Sequence[Any]]:
        """The next rows. The driver reads its socket whenever data comes: between fetches the
        reading is paused, so while the warehouse takes the rows the result waits in the
        kernel's socket buffer and the server (TCP's window), not in this process."""
        # asyncmy's connection state (`public` attributes in its connection.pxd)
        transport = getattr(self._connection, "_transport", None)
        if transport is not None:
            transport.resume_reading()
        rows: list[Sequence[Any]] = await cursor.fetchmany(CHUNK_ROWS)
        if transport is not None:
            transport.pause_reading()
        return rows

    @property
    def read_ahead(self) -> int:
        """Bytes of the result the driver received and the batch has not fetched yet."""
        state = getattr(self._connection, "_proto", None)
        return 0 if state is None else int(state.length - state.pos)

    async def printing(self) -> None:
        """MySQL prints values otherwise than the warehouse: a snapshot is staged."""
        return

    def ordered(self, table: RawTable) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """Never asked (`printing` is None)."""
        raise IngestionError(f"a MySQL source is not compared as text ({table.name})")

    async def close(self) -> None:
        """Close the connection; one left mid-result is dropped, not drained."""
        if self._abandoned:
            self._connection.close()
            return
        try:
            await self._connection.ensure_closed()
        except (MySQLError, OSError):
            self._connection.close()


async def _ending(rows: AsyncIterator[Sequence[Any]], value: int) -> AsyncIterator[Sequence[Any]]:
    """Each row with `value` after its columns (a forensic raw table's `ecoplane_batch_in`)."""
    async for row in rows:
        yield (*row, value)


def _unfit(table: RawTable, row: Sequence[Any], column: str, at: int, why: str) -> str:
    key = ", ".join(f"{c.name}={row[i]}" for i, c in enumerate(table.columns) if c.key)
    return f"{table.label}: source row ({key}) holds {row[at]!r} in column {column!r}, {why}"


def _int(value: object) -> int | None:
    return None if value is None else int(str(value))


def _reason(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
