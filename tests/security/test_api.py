"""GET /security/plan (a dry run) and GET /security/audit (paged), without passwords."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import store_model
from app.db.urls import asyncpg_dsn
from app.ecosystem.model import Model
from app.security.secrets.base import SecretStoreError
from app.security.secrets.local import LocalSecretStore
from app.security.service import apply_sync, warehouse_sync
from app.security.sync import SecuritySync
from app.settings import Settings
from tests.api.conftest import client_for
from tests.api.pages import assert_names_parameter
from tests.security.conftest import create_raw_tables

V1 = "/api/v1"


@pytest.fixture
def settings(database_url: str, warehouse_url: str, prefix: str, tmp_path: Path) -> Settings:
    """The service on the test's own warehouse, store and role prefix."""
    return Settings(
        database_url=database_url, warehouse_url=warehouse_url, data_dir=tmp_path,
        role_prefix=prefix, security_marker=f"{prefix}managed", anonymous_read=True,
    )  # fmt: skip


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the service with those settings."""
    async for made in client_for(settings):
        yield made


async def test_plan_then_audit_of_an_applied_sync(
    client: httpx.AsyncClient,
    settings: Settings,
    engine: AsyncEngine,
    database_url: str,
    warehouse: asyncpg.Connection,
    acme_model: Model,
    tmp_path: Path,
) -> None:
    assert (await client.get(f"{V1}/security/plan")).status_code == 503  # no active model
    stored = await store_model(engine, acme_model, source="acme")
    await create_raw_tables(warehouse, acme_model)
    plan = (await client.get(f"{V1}/security/plan")).json()
    assert plan["changes"] and not plan["applied"] and plan["modelVersion"] == stored.id
    role = f"{settings.role_prefix}dt_build_capital_report"
    assert next(op for op in plan["operations"] if op["target"] == role) == {
        "phase": "roles", "action": "create role", "target": f"{settings.role_prefix}dt_build_capital_report",
        "reason": "new transformer",
        "statement": f'CREATE ROLE "{settings.role_prefix}dt_build_capital_report" LOGIN CONNECTION LIMIT 10'
        " NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '********'",
    }  # fmt: skip
    control = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with warehouse_sync(settings) as sync:
            outcome = await apply_sync(control, sync)
    finally:
        await control.close()
    assert (await client.get(f"{V1}/security/plan")).json()["changes"] is False
    first = (await client.get(f"{V1}/security/audit?limit=3")).json()
    assert [i["ordinal"] for i in first["items"]] == [1, 2, 3]
    assert first["items"][0]["syncId"] == outcome.sync_id
    second = (
        await client.get(f"{V1}/security/audit", params={"limit": 3, "cursor": first["nextCursor"]})
    ).json()
    assert [i["ordinal"] for i in second["items"]] == [4, 5, 6]
    everything = (await client.get(f"{V1}/security/audit?limit=500")).text
    store = LocalSecretStore(tmp_path / "secrets" / "transformers")
    for transformer in acme_model.transformers:
        credentials = await store.current(transformer)
        assert credentials is not None
        assert credentials.password not in everything + str(plan)


async def test_a_bad_audit_cursor_is_a_422(client: httpx.AsyncClient) -> None:
    for cursor in ("nonsense!", "WzEsMiwzXQ", "WyJhIiwxXQ"):  # not base64, [1,2,3], ["a",1]
        await assert_names_parameter(client, f"{V1}/security/audit?cursor={cursor}", "cursor")


async def test_an_unreachable_warehouse_is_a_503(
    database_url: str, tmp_path: Path, engine: AsyncEngine, acme_model: Model
) -> None:
    await store_model(engine, acme_model, source="acme")
    settings = Settings(
        database_url=database_url, warehouse_url="postgresql://nobody@127.0.0.1:1/none",
        data_dir=tmp_path, anonymous_read=True,
    )  # fmt: skip
    async for client in client_for(settings):
        response = await client.get(f"{V1}/security/plan")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"


async def test_a_committed_sync_is_audited_even_when_a_promotion_fails(
    engine: AsyncEngine,
    database_url: str,
    sync: SecuritySync,
    store: LocalSecretStore,
    acme_model: Model,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await store_model(engine, acme_model, source="acme")

    async def crash(transformer: str) -> None:
        raise SecretStoreError("the store went away after the commit")

    monkeypatch.setattr(store, "promote", crash)
    control = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        with pytest.raises(SecretStoreError):
            await apply_sync(control, sync)
        recorded = await control.fetchval("SELECT operations FROM security_syncs")
    finally:
        await control.close()
    assert recorded and recorded > 0
