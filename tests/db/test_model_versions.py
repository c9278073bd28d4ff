"""The active version's id: read by one function, from a connection or a pool, None when none."""

from __future__ import annotations

import re
from pathlib import Path

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import store_model
from app.db.model_versions import active_version_id
from app.db.urls import asyncpg_dsn
from app.ecosystem.loader import load_texts
from tests.ecosystem.modeltext import BASE as SMALL_MODEL

ROOT = Path(__file__).resolve().parents[2]
# the read of the active version's id, however it is spelt and wrapped
ACTIVE_READ = re.compile(
    r"SELECT\s+id\b[^;]*?FROM\s+model_versions\s+WHERE\s+state\s*=\s*'active'", re.IGNORECASE
)


async def test_none_is_active_then_the_stored_one_is(
    engine: AsyncEngine, database_url: str
) -> None:
    pool = await asyncpg.create_pool(asyncpg_dsn(database_url), min_size=1, max_size=1)
    try:
        assert await active_version_id(pool) is None
        first = await store_model(engine, load_texts(dict(SMALL_MODEL)), source="first")
        ecosystem = SMALL_MODEL["ecosystem.yaml"].replace("pc3]", "pc3, extra]")
        changed: dict[str, str | bytes] = {**SMALL_MODEL, "ecosystem.yaml": ecosystem}
        second = await store_model(engine, load_texts(changed), source="second")
        assert first.id != second.id and second.state == "active"  # the first is superseded
        async with pool.acquire() as connection:  # a pooled connection reads it the same
            assert await active_version_id(connection) == second.id
        assert await active_version_id(pool) == second.id
    finally:
        await pool.close()


def test_only_one_function_spells_the_read_of_the_active_version() -> None:
    spelt = sorted(
        str(path.relative_to(ROOT))
        for package in ("app", "workers")
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and ACTIVE_READ.search(path.read_text())
    )
    assert spelt == ["app/db/model_versions.py"]
