"""A dashboard role made by an older version reads what a newer one added once the service starts
or `ecoplane db upgrade` runs; a database user that may not grant leaves a WARNING."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.dashboard import (
    HIDDEN,
    WORK,
    grant_dashboard,
    refresh_dashboard_grants,
)
from app.cli import main
from app.db.engine import create_engine
from app.db.urls import asyncpg_dsn
from tests.api.conftest import api_settings, client_for
from tests.dashboard_role import DASHBOARD_ROLE

PASSWORD = "dashboard-password-of-the-grant-tests"


async def _as_an_older_version(engine: AsyncEngine, database_url: str) -> None:
    """The role as a version before the records of the work were granted left it."""
    await grant_dashboard(engine, DASHBOARD_ROLE, PASSWORD)
    admin = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await admin.execute(f"REVOKE ALL ON {', '.join(WORK)} FROM {DASHBOARD_ROLE}")
        assert await _reads(admin) == {}
    finally:
        await admin.close()


async def _reads(admin: asyncpg.Connection) -> dict[str, set[str]]:
    """Per table of the work, the columns the role may read."""
    rows = await admin.fetch(
        "SELECT table_name, array_agg(column_name::text) AS columns"
        " FROM information_schema.column_privileges WHERE grantee = $1"
        " AND privilege_type = 'SELECT' AND table_name = ANY($2::text[]) GROUP BY table_name",
        DASHBOARD_ROLE, WORK,
    )  # fmt: skip
    return {row["table_name"]: set(row["columns"]) for row in rows}


async def _granted(database_url: str) -> dict[str, set[str]]:
    admin = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return await _reads(admin)
    finally:
        await admin.close()


def _every_table_but_hidden_columns(reads: dict[str, set[str]]) -> None:
    assert sorted(reads) == sorted(WORK)
    assert {"state", "kind", "target", "reason", "finished_at"} <= reads["runs"]
    for table, (_, hidden) in HIDDEN.items():
        assert reads[table].isdisjoint(hidden), table


async def test_the_service_start_grants_an_older_role_the_records_of_the_work(
    engine: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    await _as_an_older_version(engine, database_url)
    async for client in client_for(api_settings(database_url, tmp_path)):
        assert (await client.get("/healthz")).status_code == 200
    _every_table_but_hidden_columns(await _granted(database_url))


def test_db_upgrade_grants_an_older_role_the_records_of_the_work(
    engine: AsyncEngine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    asyncio.run(_as_an_older_version(engine, database_url))
    monkeypatch.setenv("ECOPLANE_DATABASE_URL", database_url)
    assert main(["db", "upgrade"]) == 0
    _every_table_but_hidden_columns(asyncio.run(_granted(database_url)))


async def test_a_user_that_may_not_grant_leaves_a_warning_and_the_role_as_it_was(
    prefix: str,
    engine: AsyncEngine,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _as_an_older_version(engine, database_url)
    stranger = f"{prefix}stranger"
    admin = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await admin.execute(f"CREATE ROLE {stranger} LOGIN PASSWORD 'x'")
        as_stranger = make_url(database_url).set(username=stranger, password="x")
        other = create_engine(as_stranger.render_as_string(hide_password=False))
        try:
            with caplog.at_level(logging.WARNING, logger="app.catalog.dashboard"):
                assert await refresh_dashboard_grants(other, DASHBOARD_ROLE) is False
        finally:
            await other.dispose()
        assert await _reads(admin) == {}
    finally:
        await admin.execute(f"DROP OWNED BY {stranger}")
        await admin.close()
    (line,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert DASHBOARD_ROLE in line.getMessage() and stranger in line.getMessage()
    assert "ecoplane db grant-dashboard" in line.getMessage()


async def test_granting_again_takes_back_a_column_granted_by_hand(
    engine: AsyncEngine, database_url: str
) -> None:
    await grant_dashboard(engine, DASHBOARD_ROLE, PASSWORD)
    admin = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await admin.execute(f"GRANT SELECT ON runs, events TO {DASHBOARD_ROLE}")
        assert "log_tail" in (await _reads(admin))["runs"]
        assert await refresh_dashboard_grants(engine, DASHBOARD_ROLE) is True
        _every_table_but_hidden_columns(await _reads(admin))
    finally:
        await admin.close()
