"""Least privilege: a datastore's ingestion runs as its own `di_<datastore>` login, which may
write that datastore's raw tables and nothing else; workspace views over a forensic table show
current rows, and a sink with `history: true` also gets every version."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from app.ecosystem.loader import load_texts
from app.ecosystem.model import Model
from app.ingestion.batch import run_batch
from app.security.names import ingestion_credentials
from app.security.secrets.local import LocalSecretStore
from app.security.sync import SecuritySync, SyncConfig
from app.security.warehouses.postgres import PostgresWarehouse
from app.security.warehouses.postgres_connection import endpoint
from tests.ecosystem.modeltext import files
from tests.ingestion.conftest import Source
from tests.jobs.model import python, workspace

SINK = "dataset: customers}"


def _model(source: Source, milestoning: str = "live", history: bool = False) -> Model:
    """Customers and Orders, both ingested from the source; Analytics sinks Customers."""
    customers = source.text(milestoning=milestoning)
    orders = customers.replace("name: Customers", "name: Orders").replace(
        f"milestoning: {milestoning}", "milestoning: live"
    )
    analytics = workspace(
        "Analytics", [("Customers", "customers")], "Report", "{onInputChange: true}",
        python("ok"), "Reports",
    )  # fmt: skip
    if history:
        analytics = analytics.replace(SINK, "dataset: customers, history: true}")
    model = load_texts(
        files(
            {
                "zones/usa/customers.yaml": customers,
                "zones/usa/orders.yaml": orders,
                "zones/usa/analytics.yaml": analytics,
            }
        )
    )
    assert model.errors == 0, [p.as_line() for p in model.problems]
    return model


async def _applied(
    warehouse: asyncpg.Connection, url: str, model: Model, prefix: str, tmp_path: Path
) -> LocalSecretStore:
    store = LocalSecretStore(tmp_path / "secrets")
    config = SyncConfig(marker=f"{prefix}managed", role_prefix=prefix)
    await SecuritySync(PostgresWarehouse(warehouse, endpoint(url)), store, config).apply(model)
    return store


async def _login(store: LocalSecretStore, key: str) -> asyncpg.Connection:
    found = await store.current(key)
    assert found is not None
    return await asyncpg.connect(
        host=found.host, port=found.port, user=found.username,
        password=found.password, database=found.dbname,
    )  # fmt: skip


async def test_di_writes_only_its_own_raw_tables(
    prefix: str,
    source: Source,
    warehouse: asyncpg.Connection,
    warehouse_url: str,
    control: asyncpg.Connection,
    tmp_path: Path,
) -> None:
    model = _model(source)
    secrets = await _applied(warehouse, warehouse_url, model, prefix, tmp_path)
    di = await _login(secrets, ingestion_credentials("Customers"))
    try:
        assert await di.fetchval("SELECT current_user") == f"{prefix}di_customers"
        batch = await run_batch(control, di, model.datastores["Customers"], source.login)
        assert batch.inserted == 100  # its own batch: staged in temporary tables, merged
        with pytest.raises(asyncpg.InsufficientPrivilegeError):  # another datastore's table
            await di.execute("INSERT INTO raw.orders__customers (id) VALUES (1)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):  # no table of its own making
            await di.execute("CREATE TABLE raw.intruder (id int)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):  # nor a workspace's view
            await di.fetch("SELECT * FROM ws_analytics.customers__customers")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):  # nor a table's shape
            await di.execute("ALTER TABLE raw.customers__customers ADD COLUMN x int")
    finally:
        await di.close()
    granted = await warehouse.fetch(
        "SELECT table_name, privilege_type FROM information_schema.role_table_grants"
        " WHERE grantee = $1 ORDER BY 1, 2",
        f"{prefix}di_customers",
    )
    assert [tuple(g) for g in granted] == [
        ("customers__customers", p) for p in ("DELETE", "INSERT", "SELECT", "UPDATE")
    ]
    assert await warehouse.fetchval("SELECT count(*) FROM raw.customers__customers") == 100


async def test_forensic_views_show_current_rows_and_history_every_version(
    prefix: str,
    source: Source,
    warehouse: asyncpg.Connection,
    warehouse_url: str,
    control: asyncpg.Connection,
    tmp_path: Path,
) -> None:
    model = _model(source, milestoning="forensic", history=True)
    secrets = await _applied(warehouse, warehouse_url, model, prefix, tmp_path)
    di = await _login(secrets, ingestion_credentials("Customers"))
    store = model.datastores["Customers"]
    try:
        await run_batch(control, di, store, source.login)
        await source.admin.execute("UPDATE crm_customers SET email = 'new' WHERE id = 7")
        second = await run_batch(control, di, store, source.login)
        assert (second.updated, second.unchanged) == (1, 99)
    finally:
        await di.close()
    reader = await _login(secrets, "Report")  # the transformer reads its workspace's views
    try:
        current = await reader.fetch(
            "SELECT email FROM ws_analytics.customers__customers WHERE id = 7"
        )
        assert [r["email"] for r in current] == ["new"]
        assert (
            await reader.fetchval("SELECT count(*) FROM ws_analytics.customers__customers") == 100
        )
        history = await reader.fetch(
            "SELECT email, ecoplane_batch_in, ecoplane_batch_out"
            " FROM ws_analytics.customers__customers__history WHERE id = 7 ORDER BY 2"
        )
        assert [tuple(r) for r in history] == [("c7@acme.test", 1, 2), ("new", 2, None)]
        columns = await reader.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_schema ="
            " 'ws_analytics' AND table_name = 'customers__customers' ORDER BY ordinal_position"
        )
        assert [c[0] for c in columns] == ["id", "email", "balance"]  # no milestones
    finally:
        await reader.close()
