"""A warehouse database of each test's own, roles with a prefix of the test's own, a store."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from app.db.urls import asyncpg_dsn, with_database
from app.ecosystem.loader import load_directory
from app.ecosystem.model import Model
from app.security import names
from app.security.secrets.local import LocalSecretStore
from app.security.sync import SecuritySync, SyncConfig
from app.security.warehouses.postgres import PostgresWarehouse
from app.security.warehouses.postgres_connection import endpoint
from app.security.warehouses.postgres_types import postgres_type
from tests.conftest import EXAMPLES

# roles whose names match this must log in with their password on the embedded test server
SCRAM_ROLES = r"/^t[0-9a-f]{8}_d[ti]_"


@pytest.fixture(scope="session")
def password_logins(server_url: str) -> bool:
    """On the embedded server of the session, transformer roles of the tests need a password."""
    if os.environ.get("ECOPLANE_TEST_DATABASE_URL"):
        return False  # a shared server's authentication is not ours to change

    async def require_passwords() -> None:
        admin = await asyncpg.connect(asyncpg_dsn(server_url))
        try:
            hba = Path(await admin.fetchval("SHOW hba_file"))
            lines = f"local all {SCRAM_ROLES} scram-sha-256\nhost all {SCRAM_ROLES} 127.0.0.1/32 scram-sha-256\n"
            if SCRAM_ROLES not in hba.read_text():
                hba.write_text(lines + hba.read_text())
                await admin.execute("SELECT pg_reload_conf()")
        finally:
            await admin.close()

    asyncio.run(require_passwords())
    return True


@pytest.fixture
def warehouse_url(server_url: str, prefix: str) -> Iterator[str]:
    """An empty warehouse database of this test's own (dropped before its roles)."""
    name = f"warehouse_{prefix}{uuid.uuid4().hex[:6]}"

    async def admin(statement: str) -> None:
        connection = await asyncpg.connect(asyncpg_dsn(server_url))
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    yield with_database(server_url, name)
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def warehouse(warehouse_url: str) -> AsyncIterator[asyncpg.Connection]:
    """An admin connection to the test's warehouse."""
    connection = await asyncpg.connect(asyncpg_dsn(warehouse_url))
    yield connection
    await connection.close()


@pytest.fixture
def postgres(warehouse: asyncpg.Connection, warehouse_url: str) -> PostgresWarehouse:
    """The test's warehouse behind the Warehouse protocol, as the sync sees it."""
    return PostgresWarehouse(warehouse, endpoint(warehouse_url))


@pytest.fixture
def store(tmp_path: Path) -> LocalSecretStore:
    """A local secret store under the test's directory."""
    return LocalSecretStore(tmp_path / "secrets")


@pytest.fixture
def config(prefix: str) -> SyncConfig:
    """The sync configured with the test's marker and role prefix."""
    return SyncConfig(
        marker=f"{prefix}managed", max_drops=10,
        max_age=timedelta(days=90), connection_limit=5, role_prefix=prefix,
    )  # fmt: skip


@pytest.fixture
def sync(postgres: PostgresWarehouse, store: LocalSecretStore, config: SyncConfig) -> SecuritySync:
    """A sync on the test's warehouse and store."""
    return SecuritySync(postgres, store, config)


@pytest.fixture(scope="session")
def acme_model() -> Model:
    """examples/acme, loaded."""
    return load_directory(EXAMPLES / "acme")


UNDECLARED = "undeclared_note"


async def create_raw_tables(connection: asyncpg.Connection, model: Model) -> list[str]:
    """The raw table of every ingested dataset a workspace sinks, plus one undeclared column."""
    await connection.execute("CREATE SCHEMA IF NOT EXISTS raw")
    created = []
    sunk = {
        (s.datastore, s.dataset)
        for w in model.workspaces.values() for g in w.spec.dataset_groups for s in g.sinks
    }  # fmt: skip
    for store_name, dataset_name in sorted(sunk):
        datastore = model.datastores[store_name]
        if datastore.producer is not None:
            continue
        table = names.raw_table(store_name, dataset_name)
        dataset = datastore.datasets[dataset_name]
        columns = [
            f'"{names.physical(c.name)}" {postgres_type(c.type)}'
            + ("" if c.is_nullable else " NOT NULL")
            for c in dataset.columns
        ]
        keys = [f'"{names.physical(c.name)}"' for c in dataset.columns if c.primary_key]
        key = [f"PRIMARY KEY ({', '.join(keys)})"] if keys else []
        await connection.execute(  # as the example seeder makes them (the sync's, if ingested)
            f'CREATE TABLE IF NOT EXISTS raw."{table}" ({", ".join([*columns, f"{UNDECLARED} text", *key])})'
        )
        created.append(table)
    return created
