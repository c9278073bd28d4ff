"""A real MySQL/MariaDB source: a database of the test's own, read by a user that may only select.

The server is ECOPLANE_TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306/test: the machine's
MariaDB, in CI too). It is required: when it cannot be reached the tests fail, saying so.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import asyncmy
import pytest
from sqlalchemy.engine import URL, make_url

from app.ecosystem.loader import load_texts
from app.ecosystem.model import Datastore
from app.ingestion.source import SourceLogin
from tests.ecosystem.modeltext import files

DEFAULT_URL = "mysql://root@127.0.0.1:3306/test"
PREFIX = "ecoplane_test_"
COLUMNS = """\
        - {name: id, type: bigint, primaryKey: true}
        - {name: email, type: varchar(255)}
        - {name: balance, type: "decimal(18,4)"}"""
STORE = """\
apiVersion: ecoplane.io/v1
kind: Datastore
metadata: {{name: Customers, zone: USA, team: FrontOffice}}
spec:
  ingestion:
    kind: {kind}
    source: {{engine: mysql, host: "{host}", port: {port}, database: {database}}}
    credential: crm_reader
    milestoning: {milestoning}
    {watermark}
  datasets:
    - name: customers
      sourceTable: "{table}"
      columns:
{columns}
"""


async def _connect(url: URL, database: str | None = None) -> asyncmy.Connection:
    return await asyncmy.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 3306,
        user=url.username or "root",
        password=url.password or "",
        database=database,
        charset="utf8mb4",
        autocommit=True,
        connect_timeout=5,
    )


def numbers(first: int, last: int) -> str:
    """A derived table `t(n)` of the integers first..last (the fixture's `digits` table)."""
    places = range(len(str(last)))
    value = " + ".join(f"{10**i} * d{i}.d" for i in places)
    tables = ", ".join(f"digits d{i}" for i in places)
    return f"(SELECT {value} AS n FROM {tables}) t WHERE n BETWEEN {first} AND {last}"


@pytest.fixture(scope="session")
def mysql_url() -> Iterator[URL]:
    """The MySQL/MariaDB server the tests use; unreachable is a failure, never a skip."""
    url = make_url(os.environ.get("ECOPLANE_TEST_MYSQL_URL", DEFAULT_URL))

    async def reach() -> None:
        connection = await _connect(url)
        await connection.ensure_closed()

    try:
        asyncio.run(reach())
    except Exception as error:  # any reason is reported whole
        pytest.fail(
            f"the MySQL/MariaDB server {url.render_as_string(hide_password=True)} is unreachable"
            f" ({type(error).__name__}: {error}); the mysql tests need it: start it, or set"
            " ECOPLANE_TEST_MYSQL_URL",
            pytrace=False,
        )
    yield url


@dataclass
class MysqlSource:
    """The source database: a root connection to it, the reader's login and the place."""

    admin: asyncmy.Connection
    login: SourceLogin
    host: str
    port: int
    database: str

    async def execute(self, *statements: str) -> None:
        """Run statements as root in the source database."""
        async with self.admin.cursor() as cursor:
            for statement in statements:
                await cursor.execute(statement)

    async def fetch(self, query: str) -> list[tuple[object, ...]]:
        """Rows of a query as root."""
        async with self.admin.cursor() as cursor:
            await cursor.execute(query)
            return [tuple(row) for row in await cursor.fetchall()]

    def store_text(
        self,
        kind: str = "sql-snapshot",
        milestoning: str = "live",
        table: str = "crm_customers",
        columns: str = COLUMNS,
        watermark: str = "",
    ) -> str:
        """The YAML of the Customers datastore, ingested from this source."""
        return STORE.format(
            kind=kind,
            host=self.host,
            port=self.port,
            database=self.database,
            milestoning=milestoning,
            table=table.replace("\\", "\\\\").replace('"', '\\"'),
            columns=columns,
            watermark=watermark,
        )

    def store(
        self,
        kind: str = "sql-snapshot",
        milestoning: str = "live",
        table: str = "crm_customers",
        columns: str = COLUMNS,
        watermark: str = "",
    ) -> Datastore:
        """The Customers datastore of the test model, ingested from this source."""
        text = self.store_text(kind, milestoning, table, columns, watermark)
        model = load_texts(files({"zones/usa/customers.yaml": text}))
        assert model.errors == 0, [p.as_line() for p in model.problems]
        return model.datastores["Customers"]


@pytest.fixture
async def mysql_source(mysql_url: URL) -> AsyncIterator[MysqlSource]:
    """A database `ecoplane_test_<random>` holding crm_customers (100 rows), and its reader."""
    name = f"{PREFIX}{uuid.uuid4().hex[:10]}"
    reader, password = f"{name}_r", uuid.uuid4().hex
    server = await _connect(mysql_url)
    admin: asyncmy.Connection | None = None
    try:
        async with server.cursor() as cursor:
            await cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
            await cursor.execute(f"CREATE USER '{reader}'@'%' IDENTIFIED BY '{password}'")
            await cursor.execute(f"GRANT SELECT ON `{name}`.* TO '{reader}'@'%'")
        admin = await _connect(mysql_url, name)
        source = MysqlSource(
            admin,
            SourceLogin(reader, password),
            mysql_url.host or "127.0.0.1",
            mysql_url.port or 3306,
            name,
        )
        await source.execute(
            "SET SESSION sql_mode = ''",  # zero dates may be stored, as in older installations
            "CREATE TABLE crm_customers (id BIGINT PRIMARY KEY, email VARCHAR(255),"
            " balance DECIMAL(18,4), note TEXT)",
            "CREATE TABLE digits (d INT)",
            "INSERT INTO digits VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)",
            "INSERT INTO crm_customers SELECT n, CONCAT('c', n, '@acme.test'), n * 1.5, 'x'"
            f" FROM {numbers(1, 100)}",
        )
        yield source
    finally:
        if admin is not None:
            admin.close()
        async with server.cursor() as cursor:
            await cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
            await cursor.execute(f"DROP USER IF EXISTS '{reader}'@'%'")
        await server.ensure_closed()
