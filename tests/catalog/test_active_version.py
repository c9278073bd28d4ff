"""The API remembers the active version for a moment, and no longer."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import store_model
from app.catalog.versions import ActiveVersion, VersionRef
from app.db.urls import asyncpg_dsn
from app.ecosystem.loader import load_texts
from tests.ecosystem.modeltext import BASE


async def test_active_version_is_remembered_for_the_given_seconds(
    engine: AsyncEngine, database_url: str
) -> None:
    first = await store_model(engine, load_texts(dict(BASE)), source="one")
    pool = await asyncpg.create_pool(asyncpg_dsn(database_url), min_size=1, max_size=1)
    try:
        remembered = ActiveVersion()
        assert (await remembered.get(pool, 3600)).id == first.id
        second = await store_model(
            engine, load_texts({**BASE, "note.yaml": "# two\n"}), source="two"
        )
        assert (await remembered.get(pool, 3600)).id == first.id  # still fresh: no query
        assert (await remembered.get(pool, 0)).id == second.id  # expired: read again
        third = await store_model(
            engine, load_texts({**BASE, "note.yaml": "# three\n"}), source="three"
        )
        await remembered.forget(third.id)  # what the activation hook does on every replica
        assert (await remembered.get(pool, 3600)).id == third.id
    finally:
        await pool.close()


async def test_requests_that_ask_at_once_share_one_read(
    engine: AsyncEngine, database_url: str
) -> None:
    stored = await store_model(engine, load_texts(dict(BASE)), source="one")
    pool = await asyncpg.create_pool(asyncpg_dsn(database_url), min_size=1, max_size=2)
    try:
        remembered = ActiveVersion()
        reads = 0
        original = remembered._read

        async def counted(pool: asyncpg.Pool) -> VersionRef:
            nonlocal reads
            reads += 1
            return await original(pool)

        remembered._read = counted  # type: ignore[method-assign]
        found = await asyncio.gather(*(remembered.get(pool, 0) for _ in range(32)))
        assert {ref.id for ref in found} == {stored.id}
        assert reads == 1  # thirty-two at once, one query
    finally:
        await pool.close()
