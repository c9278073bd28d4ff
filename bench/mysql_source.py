"""Benchmark: a MySQL/MariaDB source table streamed into a warehouse staging table, two ways.

A 200,000-row, 10-column table in the machine's MariaDB (127.0.0.1:3306, root, or
ECOPLANE_BENCH_MYSQL_URL's host, port and user) copied into a temporary table of the machine's
PostgreSQL (ECOPLANE_BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/postgres):

  records     what ecoplane does (app/ingestion/source_mysql.py): the driver's Python values
              (Decimal, datetime, ...) sent with asyncpg's copy_records_to_table (binary COPY)
  text COPY   the alternative: the driver's values left as the server's text, escaped where
              needed, sent as COPY text that the warehouse parses
  read only   the same unbuffered read of the text, nothing written: the driver alone

Both use an unbuffered cursor. Each runs --runs times (default 5, interleaved); prints the median seconds,
rows per second and the peak RSS of this process.

    .venv/bin/python bench/mysql_source.py [--rows N] [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncmy
import asyncpg
from asyncmy import converters
from asyncmy.cursors import SSCursor
from sqlalchemy.engine import make_url

from app.ecosystem.spec.datastore import Milestoning
from app.ingestion.reader import Target
from app.ingestion.source import Endpoint, SourceLogin
from app.ingestion.source_mysql import CHUNK_ROWS, MysqlReader
from app.ingestion.tables import RawColumn, RawTable

COLUMNS = [  # name, MySQL type, warehouse type
    ("id", "BIGINT PRIMARY KEY", "bigint"),
    ("email", "VARCHAR(255)", "varchar(255)"),
    ("balance", "DECIMAL(18,4)", "numeric(18,4)"),
    ("qty", "INT", "integer"),
    ("ratio", "DOUBLE", "double precision"),
    ("flag", "TINYINT(1)", "boolean"),
    ("born", "DATE", "date"),
    ("seen", "DATETIME(6)", "timestamp"),
    ("note", "TEXT", "text"),
    ("code", "CHAR(8)", "char(8)"),
]
FILL = (
    "INSERT INTO source SELECT n, CONCAT('customer', n, '@acme.test'), n * 1.2345, n % 1000,"
    " n / 7, n % 2, DATE_ADD('2000-01-01', INTERVAL n % 9000 DAY),"
    " DATE_ADD('2020-01-01', INTERVAL n SECOND), REPEAT('note ', 1 + n % 10), LPAD(n, 8, '0')"
    " FROM (SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d + 100000 * g.d + 1 AS n"
    " FROM digits a, digits b, digits c, digits e, digits f, digits g) t WHERE n <= {rows}"
)


def table() -> RawTable:
    """The benchmark's dataset as a raw table."""
    columns = tuple(RawColumn(n, n, w, n != "id", n == "id") for n, _, w in COLUMNS)
    return RawTable("bench", "source", "bench__source", "source", columns, Milestoning.LIVE)


async def records(endpoint: Endpoint, login: SourceLogin, warehouse: asyncpg.Connection) -> int:
    """ecoplane's path."""
    reader = await MysqlReader.open(endpoint, login)
    try:
        await reader.columns(table())
        return await reader.copy(table(), None, None, warehouse, Target("stage"))
    finally:
        await reader.close()


ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
TEXTS = {"email", "note", "code"}


async def _lines(endpoint: Endpoint, login: SourceLogin) -> AsyncIterator[bytes]:
    """The table as COPY text, from the server's text of each value (no driver decoding)."""
    raw = {k: v for k, v in converters.conversions.items() if not isinstance(k, int)}
    connection = await asyncmy.connect(
        host=endpoint.host,
        port=endpoint.port,
        user=login.user,
        password=login.password,
        database=endpoint.database,
        charset="utf8mb4",
        conv=raw,
    )
    flag = [n for n, _, _ in COLUMNS].index("flag")
    texts = [n in TEXTS for n, _, _ in COLUMNS]

    def value(i: int, v: str | None) -> str:
        if v is None:
            return "\\N"
        if i == flag:
            return "f" if v == "0" else "t"
        return v.translate(ESCAPES) if texts[i] else v

    try:
        async with connection.cursor(SSCursor) as cursor:
            await cursor.execute("SELECT " + ", ".join(n for n, _, _ in COLUMNS) + " FROM source")
            while chunk := await cursor.fetchmany(CHUNK_ROWS):
                yield "".join(
                    "\t".join([value(i, v) for i, v in enumerate(row)]) + "\n" for row in chunk
                ).encode()
    finally:
        connection.close()


async def text_copy(endpoint: Endpoint, login: SourceLogin, warehouse: asyncpg.Connection) -> int:
    """The alternative: COPY text encoded here."""
    status = await warehouse.copy_to_table("stage", source=_lines(endpoint, login), format="text")
    return int(status.rsplit(" ", 1)[-1])


async def read_only(endpoint: Endpoint, login: SourceLogin, _: asyncpg.Connection) -> int:
    """The unbuffered read alone."""
    count = 0
    async for chunk in _lines(endpoint, login):
        count += chunk.count(b"\n")
    return count


Way = Callable[[Endpoint, SourceLogin, asyncpg.Connection], Awaitable[int]]


async def main(rows: int, runs: int) -> None:
    """Create the source, time each way, drop everything made."""
    mysql = make_url(os.environ.get("ECOPLANE_BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"))
    pg = os.environ.get(
        "ECOPLANE_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    name = f"ecoplane_bench_{uuid.uuid4().hex[:8]}"
    login = SourceLogin(mysql.username or "root", mysql.password or "")
    endpoint = Endpoint("mysql", mysql.host or "127.0.0.1", mysql.port or 3306, name, "")
    admin = await asyncmy.connect(
        host=endpoint.host,
        port=endpoint.port,
        user=login.user,
        password=login.password,
        autocommit=True,
    )
    warehouse = await asyncpg.connect(pg)
    try:
        async with admin.cursor() as cursor:
            await cursor.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
            await cursor.execute(f"USE {name}")
            await cursor.execute("CREATE TABLE digits (d INT)")
            await cursor.execute(
                "INSERT INTO digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)"
            )
            definition = ", ".join(f"{n} {t}" for n, t, _ in COLUMNS)
            await cursor.execute(f"CREATE TABLE source ({definition})")
            await cursor.execute(FILL.format(rows=rows))
        columns = ", ".join(f"{n} {w}" for n, _, w in COLUMNS)
        await warehouse.execute(f"CREATE TEMPORARY TABLE stage ({columns})")
        ways: dict[str, Way] = {"records": records, "text COPY": text_copy, "read only": read_only}
        times: dict[str, list[float]] = {label: [] for label in ways}
        for _ in range(runs):  # interleaved: a busy machine slows every way alike
            for label, way in ways.items():
                await warehouse.execute("TRUNCATE stage")
                started = time.perf_counter()
                copied = await way(endpoint, login, warehouse)
                times[label].append(time.perf_counter() - started)
                assert copied == rows, (label, copied)
        for label, taken in times.items():
            median = statistics.median(taken)
            print(f"{label:>10}: {median:6.2f} s  {rows / median:>9,.0f} rows/s")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of this process: {peak:.0f} MB ({rows:,} rows of {len(COLUMNS)} columns)")
    finally:
        async with admin.cursor() as cursor:
            await cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.close()
        await warehouse.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rows, arguments.runs))
