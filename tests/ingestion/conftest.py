"""A real source database with a reader role, a real warehouse, the control-plane database."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from app.db.urls import asyncpg_dsn, with_database
from app.ecosystem.loader import load_texts
from app.ecosystem.model import Datastore, Model
from app.ingestion import batch
from app.ingestion.batches import BatchRecord
from app.ingestion.source import SourceLogin
from app.security.secrets.local import LocalSecretStore
from app.security.sync import SecuritySync, SyncConfig
from app.security.warehouses.base import Endpoint
from app.security.warehouses.postgres import PostgresWarehouse
from tests.ecosystem.modeltext import files

RAW = "raw.customers__customers"  # the Customers dataset's raw table

STORE = """\
apiVersion: ecoplane.io/v1
kind: Datastore
metadata: {{name: Customers, zone: USA, team: FrontOffice}}
spec:
  ingestion:
    kind: {kind}
    source: {{host: "{host}", port: {port}, database: {database}}}
    credential: crm_reader
    milestoning: {milestoning}
    {watermark}
  datasets:
    - name: customers
      sourceTable: {table}
      columns:
{columns}{extra}"""
COLUMNS = """\
        - {name: id, type: bigint, primaryKey: true}
        - {name: email, type: varchar(255)}
        - {name: balance, type: "decimal(18,4)"}
"""


@dataclass
class Source:
    """The source database: an admin connection and the reader's login and place."""

    admin: asyncpg.Connection
    login: SourceLogin
    host: str
    port: int
    database: str

    def text(
        self,
        kind: str = "sql-snapshot",
        milestoning: str = "live",
        table: str = "crm_customers",
        extra: str = "",
        watermark: str = "",
        columns: str = COLUMNS,
    ) -> str:
        """The Customers datastore's file, ingested from this source (`columns` of its dataset
        customers, `extra` datasets after it)."""
        return STORE.format(
            kind=kind, host=self.host, port=self.port, database=self.database,
            milestoning=milestoning, table=table, extra=extra, watermark=watermark,
            columns=columns,
        )  # fmt: skip

    def store(self, **text: str) -> Datastore:
        """The Customers datastore of the test model (`text`'s options)."""
        model = load_texts(files({"zones/usa/customers.yaml": self.text(**text)}))
        assert model.errors == 0, [p.as_line() for p in model.problems]
        return model.datastores["Customers"]


async def sync_raw_tables(warehouse: asyncpg.Connection, store: Datastore) -> None:
    """What the security sync does before a datastore is ingested: its raw tables made or
    evolved from the model (and its di_ role; roles of a throwaway prefix, dropped with it)."""
    prefix = f"t{uuid.uuid4().hex[:8]}_"
    place = Endpoint("localhost", 5432, "warehouse")
    # the store keeps libpq variables beside its root: a folder of its own, not /tmp itself
    secrets = Path(tempfile.mkdtemp(prefix="ingest-sync-"))
    sync = SecuritySync(
        PostgresWarehouse(warehouse, place),
        LocalSecretStore(secrets / "transformers"),
        SyncConfig(marker=f"{prefix}managed", role_prefix=prefix),
    )
    try:
        await sync.apply(Model(datastores={store.name: store}))
    finally:
        shutil.rmtree(secrets, ignore_errors=True)
        for role in await warehouse.fetch(
            "SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)", prefix
        ):
            await warehouse.execute(f'DROP OWNED BY "{role[0]}"; DROP ROLE "{role[0]}"')


async def run_batch(
    control: asyncpg.Connection,
    warehouse: asyncpg.Connection,
    store: Datastore,
    login: SourceLogin,
    run_id: int | None = None,
) -> BatchRecord:
    """A batch after the security sync applied the datastore's model to its raw tables."""
    await sync_raw_tables(warehouse, store)
    return await batch.run_batch(control, warehouse, store, login, run_id)


async def row_versions(warehouse: asyncpg.Connection) -> dict[int, str]:
    """Each raw row's xmin, by id: it changes only when the row is written."""
    rows = await warehouse.fetch(f"SELECT id, xmin::text AS x FROM {RAW}")
    return {r["id"]: r["x"] for r in rows}


async def batch_after_change(
    control: asyncpg.Connection, warehouse: asyncpg.Connection, source: Source, change: str
) -> tuple[BatchRecord, dict[int, str], dict[int, str]]:
    """A first batch, `change` run on the source, a second batch: the second, and each raw
    row's version before and after it."""
    store = source.store()
    await run_batch(control, warehouse, store, source.login)
    before = await row_versions(warehouse)
    await source.admin.execute(change)
    second = await run_batch(control, warehouse, store, source.login)
    return second, before, await row_versions(warehouse)


@pytest.fixture
async def source(prefix: str, server_url: str) -> AsyncIterator[Source]:
    """A database of its own holding crm_customers, read by a login role that may only select."""
    name = f"ingest_src_{uuid.uuid4().hex[:10]}"
    server = await asyncpg.connect(asyncpg_dsn(server_url))
    await server.execute(f'CREATE DATABASE "{name}"')
    admin = await asyncpg.connect(asyncpg_dsn(with_database(server_url, name)))
    reader, password = f"{prefix}reader", uuid.uuid4().hex
    await admin.execute(f"CREATE ROLE \"{reader}\" LOGIN PASSWORD '{password}'")
    await admin.execute(
        "CREATE TABLE crm_customers (id bigint PRIMARY KEY, email text, balance numeric, note text);"
        "INSERT INTO crm_customers SELECT i, 'c' || i || '@acme.test', i * 1.5, 'x'"
        " FROM generate_series(1, 100) i;"
        f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{reader}";'
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO "{reader}"'
    )
    url = make_url(server_url)
    host = url.host or str(url.query.get("host"))
    try:
        yield Source(admin, SourceLogin(reader, password), host, url.port or 5432, name)
    finally:
        await admin.close()
        await server.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await server.close()


@pytest.fixture
async def warehouse(warehouse_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to a warehouse database of this test's own (dropped at the end)."""
    connection = await asyncpg.connect(asyncpg_dsn(warehouse_url))
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
async def control(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """The control-plane database (migrated): where batches are recorded."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    yield connection
    await connection.close()


@pytest.fixture
async def warehouse_url(server_url: str) -> AsyncIterator[str]:
    """The URL of a warehouse database of the test's own (dropped at the end)."""
    name = f"ingest_wh_{uuid.uuid4().hex[:10]}"
    server = await asyncpg.connect(asyncpg_dsn(server_url))
    await server.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(server_url, name)
    finally:
        await server.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await server.close()
