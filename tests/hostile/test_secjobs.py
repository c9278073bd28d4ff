"""Two installations on one cluster keep apart (the log without verifiers:
tests/security/warehouses/test_postgres_passwords.py)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from app.db.urls import asyncpg_dsn, with_database
from app.ecosystem.model import Model
from app.security.desired import desired_state
from app.security.raw import ingested
from app.security.secrets.local import LocalSecretStore
from app.security.service import sync_config
from app.security.sync import SecuritySync
from app.security.warehouses.postgres import LOCK, PostgresWarehouse
from app.security.warehouses.postgres_connection import endpoint
from app.settings import Settings
from tests.conftest import _admin, _drop_roles
from tests.security.conftest import acme_model, create_raw_tables

__all__ = ["acme_model"]
Installation = tuple[SecuritySync, asyncpg.Connection]


@pytest.fixture
def installations(server_url: str) -> Iterator[tuple[str, str]]:
    """Two role prefixes of this test's own; their roles are dropped at the end."""
    tag = uuid.uuid4().hex[:8]
    chosen = (f"t15a_{tag}_", f"t15b_{tag}_")
    yield chosen
    for prefix in chosen:
        asyncio.run(_drop_roles(server_url, prefix))


@asynccontextmanager
async def _installation(server_url: str, prefix: str, tmp: Path) -> AsyncIterator[Installation]:
    """An installation with its role prefix only (the marker derived), its own warehouse."""
    name = f"warehouse_{prefix}"
    await _admin(server_url, f'CREATE DATABASE "{name}"')
    url = with_database(server_url, name)
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        settings = Settings(database_url="postgresql://unused", role_prefix=prefix)
        warehouse = PostgresWarehouse(connection, endpoint(url))
        store = LocalSecretStore(tmp / prefix)
        yield SecuritySync(warehouse, store, sync_config(settings)), connection
    finally:
        await connection.close()
        await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_marker_is_derived_from_the_prefix_and_kept_without_one() -> None:
    unset = "postgresql://unused"
    assert Settings(database_url=unset).managed_marker == "ecoplane_managed"
    assert Settings(database_url=unset, role_prefix="ha_").managed_marker == "ha_ecoplane_managed"
    chosen = Settings(database_url=unset, role_prefix="ha_", security_marker="ecoplane_managed")
    assert chosen.managed_marker == "ecoplane_managed"  # an upgrade may keep the old marker


async def test_two_installations_on_one_cluster_plan_nothing_about_each_other(
    server_url: str, installations: tuple[str, str], acme_model: Model, tmp_path: Path
) -> None:
    first, second = installations
    async with (
        _installation(server_url, first, tmp_path) as (a, a_connection),
        _installation(server_url, second, tmp_path) as (b, b_connection),
    ):
        for install, connection in ((a, a_connection), (b, b_connection)):
            await create_raw_tables(connection, acme_model)
            assert install.config.marker == f"{install.config.role_prefix}ecoplane_managed"
            assert not (await install.apply(acme_model)).verified.changes
        for install, other in ((a, b), (b, a)):
            plan = await install.plan(acme_model)
            assert not plan.changes and not plan.problems
            # with the other's model gone, it would drop its own roles only, never the other's
            empty = desired_state(Model(), install.config.marker, 10, install.config.role_prefix)
            ops = (await install.plan(empty)).operations
            dropped = [op.target for op in ops if op.action == "drop role"]
            logins = len(acme_model.transformers) + len(ingested(acme_model))  # dt_ and di_
            assert len(dropped) == logins + len(acme_model.workspaces)
            assert all(t.startswith(install.config.role_prefix) for t in dropped)
            shown = [install.warehouse.statement(op) for op in ops]
            assert not any(other.config.role_prefix in statement for statement in shown)


async def test_another_installations_sync_does_not_hold_this_one_up(
    server_url: str, installations: tuple[str, str], acme_model: Model, tmp_path: Path
) -> None:
    first, second = installations
    async with _installation(server_url, second, tmp_path) as (b, connection):
        await create_raw_tables(connection, acme_model)
        holder = await asyncpg.connect(
            asyncpg_dsn(with_database(server_url, f"warehouse_{second}"))
        )
        try:
            async with holder.transaction():  # the first installation's sync, in the same database
                await holder.execute(LOCK, f"{first}ecoplane_managed")
                await connection.execute("SET lock_timeout = '30s'")
                assert not (await b.apply(acme_model)).verified.changes
        finally:
            await holder.close()
