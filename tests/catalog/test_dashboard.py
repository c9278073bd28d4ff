"""The dashboard role reads the model tables and views, and nothing else."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.dashboard import grant_dashboard
from app.catalog.store import store_model
from app.db.urls import asyncpg_dsn
from app.ecosystem.loader import load_texts
from app.settings import Settings
from tests.dashboard_role import DASHBOARD_ROLE
from tests.ecosystem.modeltext import BASE


async def test_dashboard_role_reads_views_and_cannot_write_or_read_others(
    engine: AsyncEngine, database_url: str
) -> None:
    await store_model(engine, load_texts(dict(BASE)), source="base")
    admin = await asyncpg.connect(asyncpg_dsn(database_url))
    await admin.execute("CREATE TABLE operator_secrets (token text)")
    await admin.execute("INSERT INTO operator_secrets VALUES ('s3cr3t')")
    await grant_dashboard(engine, DASHBOARD_ROLE, "a password with ' quote")
    await grant_dashboard(
        engine, DASHBOARD_ROLE, "granting twice updates the password"
    )  # idempotent
    dashboard = await asyncpg.connect(asyncpg_dsn(database_url), user=DASHBOARD_ROLE)
    try:
        assert await dashboard.fetchval("SELECT count(*) FROM current_datastores") == 3
        assert await dashboard.fetchval("SELECT count(*) FROM model_columns") > 0
        assert await dashboard.fetchval("SELECT state FROM current_model_version") == "active"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await dashboard.fetch("SELECT * FROM operator_secrets")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await dashboard.fetch("SELECT * FROM alembic_version")
        for statement in (
            "DELETE FROM model_versions",
            "UPDATE model_datastores SET zone = 'x'",
            "CREATE TABLE mine (x int)",
            "CREATE TEMP TABLE mine (x int)",
        ):
            with pytest.raises(
                (asyncpg.InsufficientPrivilegeError, asyncpg.ReadOnlySQLTransactionError)
            ):
                await dashboard.execute(statement)
        # even when it leaves read-only mode, it holds no write privilege
        await dashboard.execute("SET default_transaction_read_only = off")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await dashboard.execute("DELETE FROM model_versions")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await dashboard.execute("CREATE TABLE mine (x int)")
    finally:
        await dashboard.close()
        await admin.close()


@pytest.mark.parametrize("name", ['x"; DROP TABLE runs; --', "Dashboard", "1role", ""])
async def test_a_role_name_that_is_not_a_plain_identifier_is_refused(name: str) -> None:
    """The name goes into SQL unquoted: the setting and the grant both refuse anything else."""
    with pytest.raises(ValueError, match="dashboard_role"):
        Settings(dashboard_role=name)
    with pytest.raises(ValueError, match="not a lower-case SQL identifier"):
        await grant_dashboard(None, name, "a password")  # type: ignore[arg-type]
