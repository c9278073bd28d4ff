"""Migrations: upgrade from empty, downgrade of the latest revision, no drift from the tables."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.schema import ENTITY_TABLES
from app.catalog.store import store_model
from app.db.engine import create_engine
from app.db.migrate import current_revision, declared_head, downgrade, head_revision, upgrade
from app.db.tables import metadata
from app.db.urls import asyncpg_dsn, with_database
from app.ecosystem.loader import load_directory
from app.ecosystem.model_tables import MODEL_TABLES
from tests.conftest import EXAMPLES


@pytest.fixture
async def empty(server_url: str) -> AsyncIterator[tuple[AsyncEngine, str]]:
    """An empty database (no migrations applied)."""
    name = f"ecoplane_empty_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(asyncpg_dsn(server_url))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = with_database(server_url, name)
    engine = create_engine(url)
    yield engine, url
    await engine.dispose()
    await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    await admin.close()


async def _relations(url: str) -> set[str]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await connection.fetch(  # and their columns and comments: what a migration changes
            "SELECT c.relname, a.attname, col_description(c.oid, a.attnum) AS comment"
            " FROM pg_class c LEFT JOIN pg_attribute a"
            " ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
            " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'i')"
        )
        return (
            {r["relname"] for r in rows}
            | {f"{r['relname']}.{r['attname']}" for r in rows}
            | {f"{r['relname']}.{r['attname']}: {r['comment']}" for r in rows if r["comment"]}
        )
    finally:
        await connection.close()


async def test_upgrade_from_empty_then_downgrade_and_again(empty: tuple[AsyncEngine, str]) -> None:
    engine, url = empty
    assert await current_revision(engine) is None
    await upgrade(engine)
    assert await current_revision(engine) == head_revision()
    created = await _relations(url)
    assert {f"model_{t}" for t in MODEL_TABLES} | {f"current_{t}" for t in MODEL_TABLES} <= created
    assert {"model_versions", "model_version_commits", "current_model_version"} <= created
    assert {"ingests", "runs", "security_syncs"} <= created
    await downgrade(engine, "-1")  # the latest revision alone
    assert await current_revision(engine) != head_revision()
    assert await _relations(url) != created  # its relation, column or comment undone
    await downgrade(engine, "base")
    assert await current_revision(engine) is None
    assert {r for r in await _relations(url) if ": " not in r} == {
        "alembic_version", "alembic_version.version_num",
        "alembic_version_pkc", "alembic_version_pkc.version_num",
    }  # fmt: skip
    await upgrade(engine)
    assert await _relations(url) == created


async def test_tables_and_migrations_do_not_drift(engine: AsyncEngine) -> None:
    assert all(table.metadata is metadata for table in ENTITY_TABLES.values())
    async with engine.connect() as connection:
        diffs = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
        )
    assert diffs == []


async def test_views_have_the_model_columns_and_everything_has_a_comment(database_url: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        for name, table in MODEL_TABLES.items():
            columns = await connection.fetch(
                "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 ORDER BY attnum",
                f"current_{name}",
            )
            assert [c["attname"] for c in columns] == [c.name for c in table.columns]
        uncommented = await connection.fetch(
            """
            SELECT c.relname, a.attname FROM pg_class c
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('p', 'v', 'r')
              AND c.relname <> 'alembic_version' AND col_description(c.oid, a.attnum) IS NULL
            """
        )
        assert [tuple(r) for r in uncommented] == []
        tables = await connection.fetch(
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace"
            " AND relkind IN ('p', 'v', 'r') AND relname <> 'alembic_version' AND obj_description(oid) IS NULL"
        )
        assert [r["relname"] for r in tables] == []
    finally:
        await connection.close()


async def test_replicas_and_the_migration_job_may_upgrade_at_once(
    empty: tuple[AsyncEngine, str],
) -> None:
    # in Kubernetes the migration Job and every API replica start together and all migrate:
    # one applies the migrations, the others wait for it and then find the head
    _, url = empty
    engines = [create_engine(url) for _ in range(3)]
    try:
        # without the lock they block each other for good: bound the wait so that fails
        await asyncio.wait_for(asyncio.gather(*(upgrade(engine) for engine in engines)), 120)
        assert {await current_revision(engine) for engine in engines} == {head_revision()}
    finally:
        for engine in engines:
            await engine.dispose()


def test_the_migration_files_declare_alembics_head() -> None:
    assert declared_head() == head_revision()


async def test_a_database_at_the_newest_revision_is_left_without_alembic(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import alembic.command

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("Alembic ran on a database at the newest revision")

    monkeypatch.setattr(alembic.command, "upgrade", refuse)
    await upgrade(engine)  # one query, no lock, no Alembic
    assert await current_revision(engine) == head_revision()


async def test_the_versions_stored_before_the_list_items_get_the_same_items_from_0015(
    empty: tuple[AsyncEngine, str],
) -> None:
    engine, url = empty
    await upgrade(engine)
    model = load_directory(EXAMPLES / "acme")
    stored = await store_model(engine, model, source="acme")
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        query = "SELECT name, list_item FROM model_datastores WHERE version_id = $1"
        made = {
            r["name"]: json.loads(r["list_item"]) for r in await connection.fetch(query, stored.id)
        }
        await downgrade(engine, "0014")  # the column goes: as a version stored before it
        await upgrade(engine)
        again = {
            r["name"]: json.loads(r["list_item"]) for r in await connection.fetch(query, stored.id)
        }
    finally:
        await connection.close()
    assert again == made
    assert {name: item["datasets"] for name, item in made.items()} == {
        name: len(store.body.datasets) for name, store in model.datastores.items()
    }
    assert set(made["Positions"]) == {
        "name", "zone", "team", "description", "productionStatus", "deprecated",
        "deprecationReason", "ingestionKind", "triggerKind", "triggerCron", "approvalRequired",
        "producer", "labels", "builtin", "datasets",
    }  # fmt: skip
