"""Two installations on one cluster keep apart; a failed sync leaves no SCRAM verifier in the
server's log."""

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
from app.security.desired import ColumnSpec, Desired, RoleSpec, TableSpec, desired_state
from app.security.operations import Operation, Phase
from app.security.postgres import PostgresSecurity, WarehouseError
from app.security.secrets.local import LocalSecretStore
from app.security.service import sync_config
from app.security.statements import set_password
from app.security.sync import LOCK, SecuritySync
from app.settings import Settings
from tests.conftest import _admin, _drop_roles
from tests.security.conftest import (
    acme_model,
    config,
    create_raw_tables,
    store,
    sync,
    warehouse,
    warehouse_url,
)

__all__ = ["acme_model", "config", "store", "sync", "warehouse", "warehouse_url"]


@pytest.fixture
def installations(server_url: str) -> Iterator[tuple[str, str]]:
    """Two role prefixes of this test's own; their roles are dropped at the end."""
    tag = uuid.uuid4().hex[:8]
    chosen = (f"t15a_{tag}_", f"t15b_{tag}_")
    yield chosen
    for prefix in chosen:
        asyncio.run(_drop_roles(server_url, prefix))


@asynccontextmanager
async def _installation(server_url: str, prefix: str, tmp: Path) -> AsyncIterator[SecuritySync]:
    """An installation with its role prefix only (the marker derived), its own warehouse."""
    name = f"warehouse_{prefix}"
    await _admin(server_url, f'CREATE DATABASE "{name}"')
    url = with_database(server_url, name)
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        settings = Settings(database_url="postgresql://unused", role_prefix=prefix)
        yield SecuritySync(connection, LocalSecretStore(tmp / prefix), sync_config(settings, url))
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
        _installation(server_url, first, tmp_path) as a,
        _installation(server_url, second, tmp_path) as b,
    ):
        for install in (a, b):
            await create_raw_tables(install.connection, acme_model)
            assert install.config.marker == f"{install.config.role_prefix}ecoplane_managed"
            assert not (await install.apply(acme_model)).verified.changes
        for install, other in ((a, b), (b, a)):
            plan = await install.plan(acme_model)
            assert not plan.changes and not plan.problems
            # with the other's model gone, it would drop its own roles only, never the other's
            empty = desired_state(Model(), install.config.marker, 10, install.config.role_prefix)
            ops = (await install.plan(empty)).operations
            dropped = [op.target for op in ops if op.action == "drop role"]
            assert len(dropped) == len(acme_model.transformers) + len(acme_model.workspaces)
            assert all(t.startswith(install.config.role_prefix) for t in dropped)
            assert not any(other.config.role_prefix in op.statement for op in ops)


async def test_another_installations_sync_does_not_hold_this_one_up(
    server_url: str, installations: tuple[str, str], acme_model: Model, tmp_path: Path
) -> None:
    first, second = installations
    async with _installation(server_url, second, tmp_path) as b:
        await create_raw_tables(b.connection, acme_model)
        holder = await asyncpg.connect(
            asyncpg_dsn(with_database(server_url, f"warehouse_{second}"))
        )
        try:
            async with holder.transaction():  # the first installation's sync, in the same database
                await holder.execute(LOCK, f"{first}ecoplane_managed")
                await b.connection.execute("SET lock_timeout = '30s'")
                assert not (await b.apply(acme_model)).verified.changes
        finally:
            await holder.close()


async def _server_log(connection: asyncpg.Connection) -> tuple[str, int]:
    """The server's log file (embedded: `<data dir>/log`; a Debian cluster's) and its size."""
    major = int(await connection.fetchval("SHOW server_version_num")) // 10000
    for path in (
        await connection.fetchval("SELECT pg_current_logfile()"),
        f"{await connection.fetchval('SHOW data_directory')}/log",
        f"/var/log/postgresql/postgresql-{major}-main.log",
    ):
        if path and await connection.fetchval(
            "SELECT (pg_stat_file($1, true)).size IS NOT NULL", path
        ):
            return path, await connection.fetchval("SELECT (pg_stat_file($1)).size", path)
    raise AssertionError("the server's log file was not found")


async def _logged_since(connection: asyncpg.Connection, path: str, offset: int) -> list[str]:
    size = await connection.fetchval("SELECT (pg_stat_file($1)).size", path)
    text = await connection.fetchval("SELECT pg_read_file($1, $2, $3)", path, offset, size - offset)
    return str(text).splitlines()


def _failing(marker: str, prefix: str) -> Desired:
    """A new transformer role (with a password) and, in the same batch, a table that fails."""
    desired = desired_state(Model(), marker, 2, prefix)
    transformer = "leaky"
    role = f"{prefix}dt_{transformer}"
    desired.roles[role] = RoleSpec(role, login=True, connection_limit=2, transformer=transformer)
    desired.credentials[transformer] = role
    desired.schemas["out_leaky"] = "output of transformer leaky"
    broken = ColumnSpec("id", "no_such_type_for_the_log", False, True)
    desired.tables[("out_leaky", "rows")] = TableSpec("out_leaky", "rows", (broken,))
    return desired


async def test_a_failed_batch_leaves_no_verifier_in_the_server_log(
    warehouse: asyncpg.Connection, sync: SecuritySync, prefix: str
) -> None:
    path, offset = await _server_log(warehouse)
    with pytest.raises(WarehouseError, match="no_such_type_for_the_log"):
        await sync.apply(_failing(sync.config.marker, prefix))
    lines = await _logged_since(warehouse, path, offset)
    # the failing batch is logged (statements are), its role too, but never with a verifier
    statement = next(i for i, line in enumerate(lines) if "STATEMENT:" in line)
    assert any(f'CREATE ROLE "{prefix}dt_leaky" LOGIN' in line for line in lines[statement:])
    assert not [line for line in lines[statement:] if "SCRAM-SHA-256$" in line]


async def test_a_failed_password_statement_is_not_logged_with_its_verifier(
    warehouse: asyncpg.Connection, prefix: str
) -> None:
    path, offset = await _server_log(warehouse)
    role = f"{prefix}dt_gone"  # dropped by hand meanwhile: the password statement fails
    password = Operation(Phase.ROLES, "set password", role, "test", set_password(role), "gone")
    with pytest.raises(WarehouseError, match="does not exist"):
        async with warehouse.transaction():
            await PostgresSecurity(warehouse).execute([password], {"gone": "SCRAM-SHA-256$4096:x"})
    lines = await _logged_since(warehouse, path, offset)
    assert any(f'role "{role}" does not exist' in line for line in lines)
    assert not any("SCRAM-SHA-256$" in line for line in lines)
