"""Shared fixtures: a real Postgres for the tests that need one.

By default an embedded PostgreSQL (the same server ecoplane embeds) is started once for the
session in a temporary directory; with ECOPLANE_TEST_DATABASE_URL set (e.g.
postgresql://postgres@127.0.0.1:5432/postgres) that server is used instead. Every test gets a
fresh database copied from a migrated template, and it is dropped afterwards.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.embedded import start_embedded, stop_embedded
from app.db.engine import create_engine
from app.db.lender import ReadLender
from app.db.migrate import upgrade
from app.db.urls import asyncpg_dsn, with_database
from app.security.warehouses.postgres_sql import quote_ident
from tests.dashboard_role import DASHBOARD_ROLE

DB_FIXTURES = {"server_url", "database_url", "engine"}
# A security sync makes cluster-wide roles on the server it reaches: in tests, only the ones
# that ask for it run one after an activation (tests/jobs/test_model_change.py, tests/e2e).
os.environ.setdefault("ECOPLANE_SECURITY_SYNC_ON_ACTIVATION", "false")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the database, so `pytest -m db` runs just those."""
    for item in items:
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)


async def _admin(server_url: str, *statements: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """A URL of a Postgres server on which tests may create databases and roles.

    The embedded server lives in a directory of its own, not under pytest's temporary root:
    another pytest session of the same user prunes old roots when it starts, and a server
    whose data directory is deleted shuts down in the middle of this session.
    """
    configured = os.environ.get("ECOPLANE_TEST_DATABASE_URL")
    if configured:
        yield configured
        # after the databases it was granted in (the template's and each test's) are dropped
        asyncio.run(_admin(configured, f"DROP ROLE IF EXISTS {DASHBOARD_ROLE}"))
        return
    home = Path(tempfile.mkdtemp(prefix="ecoplane-test-postgres-"))
    try:
        yield start_embedded(home)
    finally:
        stop_embedded()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def template_database(server_url: str) -> Iterator[str]:
    """A migrated database that each test's database is copied from."""
    name = f"ecoplane_template_{uuid.uuid4().hex[:8]}"

    async def create() -> None:
        await _admin(server_url, f'CREATE DATABASE "{name}"')
        engine = create_engine(with_database(server_url, name))
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(create())
    yield name
    asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def database_url(server_url: str, template_database: str) -> Iterator[str]:
    """The URL of a fresh, migrated database of this test's own."""
    name = f"ecoplane_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"'))
    yield with_database(server_url, name)
    asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on this test's database."""
    created = create_engine(database_url)
    yield created
    await created.dispose()


@pytest.fixture
async def lender(database_url: str) -> AsyncIterator[ReadLender]:
    """Connections lent two at a time on this test's database, as the service's reads take them."""
    made = await ReadLender.opened(database_url, 2)
    yield made
    await made.close()


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


async def _drop_roles(server_url: str, prefix: str) -> None:
    admin = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        roles = await admin.fetch(
            "SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)", prefix
        )
        for role in roles:
            await admin.execute(f"DROP ROLE {quote_ident(role['rolname'])}")
    finally:
        await admin.close()


@pytest.fixture
def prefix(server_url: str) -> Iterator[str]:
    """A prefix for this test's roles; they are dropped at the end (roles are cluster-wide).

    Ask for it before the databases the roles get privileges in, so those are dropped first.
    """
    chosen = f"t{uuid.uuid4().hex[:8]}_"
    yield chosen
    asyncio.run(_drop_roles(server_url, chosen))
