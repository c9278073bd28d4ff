"""The console search's indexes: made by the service after an activation, not by the store.

Where the server has pg_trgm (PostgreSQL 15 of `make test-pg`), each searched partition of the
active version gets its indexes and the search's plan reads them; on the embedded server (no
pg_trgm) none is made and the search reads the tables.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from app.catalog.schema import PARTITION_SCHEMA, SEARCH_INDEXES, SEARCHED
from app.catalog.search_indexes import LOCK_SPACE, SearchIndexes, index_for_search
from app.catalog.store import StoredVersion
from app.console.search import TRGM_SEARCH, containing
from app.db.engine import create_pool
from app.db.urls import asyncpg_dsn
from tests.api.conftest import api_settings, client_for
from tests.jobs.conftest import until


def expected(version_id: int) -> set[str]:
    """The names of a version's search indexes."""
    return {f"model_{t}_v{version_id}_{i}" for t in SEARCHED for i in SEARCH_INDEXES}


async def made(connection: asyncpg.Connection, version_id: int) -> set[str]:
    """The version's search indexes that exist and are valid."""
    rows = await connection.fetch(
        "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE c.relnamespace = $1::regnamespace AND c.relname = ANY($2::text[])"
        " AND i.indisvalid",
        PARTITION_SCHEMA, list(expected(version_id)),
    )  # fmt: skip
    return {r["relname"] for r in rows}


@pytest.fixture
async def connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        yield connection
    finally:
        await connection.close()


async def _trgm(connection: asyncpg.Connection) -> bool:
    return bool(await connection.fetchval("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"))


async def test_the_service_indexes_the_active_version_for_search_and_the_search_uses_them(
    database_url: str, tmp_path: Path, acme: StoredVersion, connection: asyncpg.Connection
) -> None:
    assert await made(connection, acme.id) == set()  # the store made none: off its path
    if not await _trgm(connection):
        assert await index_for_search(connection, acme.id) == []
        return
    async for _client in client_for(api_settings(database_url, tmp_path)):
        await until(lambda: _all_made(connection, acme.id), "the service made the indexes")
    await connection.execute("SET enable_seqscan = off")  # acme's partitions are tiny
    query = "client_idd"
    plan = await connection.fetch(f"EXPLAIN {TRGM_SEARCH}", acme.id, query, 5, containing(query))
    lines = "\n".join(r[0] for r in plan)
    assert f"Bitmap Index Scan on model_columns_v{acme.id}_name_trgm" in lines, lines
    assert f"Bitmap Index Scan on model_columns_v{acme.id}_words" in lines, lines


async def test_an_index_a_stopped_build_left_invalid_is_made_again_and_valid_ones_are_kept(
    acme: StoredVersion, connection: asyncpg.Connection
) -> None:
    if not await _trgm(connection):
        assert await index_for_search(connection, acme.id) == []
        return
    assert set(await index_for_search(connection, acme.id)) == expected(acme.id)
    broken = f"model_columns_v{acme.id}_name_trgm"
    await connection.execute(
        "UPDATE pg_index SET indisvalid = false WHERE indexrelid = $1::regclass",
        f"{PARTITION_SCHEMA}.{broken}",
    )  # what a cancelled CREATE INDEX CONCURRENTLY leaves
    assert await index_for_search(connection, acme.id) == [broken]
    assert await made(connection, acme.id) == expected(acme.id)


async def test_a_version_another_session_indexes_is_left_to_it(
    database_url: str, acme: StoredVersion, connection: asyncpg.Connection
) -> None:
    if not await _trgm(connection):
        assert await index_for_search(connection, acme.id) == []
        return
    other = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await other.execute("SELECT pg_advisory_lock($1, $2)", LOCK_SPACE, acme.id)
        assert await index_for_search(connection, acme.id) == []
        assert await made(connection, acme.id) == set()
    finally:
        await other.close()
    assert set(await index_for_search(connection, acme.id)) == expected(acme.id)


async def test_a_build_stopped_half_way_leaves_no_lock_and_the_next_build_finishes_it(
    database_url: str, acme: StoredVersion, connection: asyncpg.Connection
) -> None:
    if not await _trgm(connection):
        assert await index_for_search(connection, acme.id) == []
        return
    blocker = await asyncpg.connect(asyncpg_dsn(database_url))
    pool = await create_pool(database_url)
    try:
        async with blocker.transaction():  # the build waits on the columns' partition
            await blocker.execute(
                f"LOCK TABLE {PARTITION_SCHEMA}.model_columns_v{acme.id} IN SHARE UPDATE EXCLUSIVE MODE"
            )
            indexes = SearchIndexes(pool)
            await indexes.activated(acme.id)
            await until(lambda: _waiting(connection), "the build waits for the partition")
            await indexes.close()  # what a stop of the service does
        held = await connection.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1", acme.id
        )
        assert held == 0  # the stopped build's connection kept no session lock
        await index_for_search(connection, acme.id)
        assert await made(connection, acme.id) == expected(acme.id)
    finally:
        await pool.close()
        await blocker.close()


async def _waiting(connection: asyncpg.Connection) -> bool:
    return bool(
        await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND query LIKE 'CREATE INDEX CONCURRENTLY%'"
        )
    )


async def _all_made(connection: asyncpg.Connection, version_id: int) -> bool:
    return await made(connection, version_id) == expected(version_id)
