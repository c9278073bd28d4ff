"""The API's read pool: its connections' session settings."""

from __future__ import annotations

from app.db.engine import create_pool


async def test_the_read_pool_does_not_jit_compile(database_url: str) -> None:
    """A generic plan of a list's query is estimated over every row of a version: with JIT on,
    PostgreSQL compiled it for 70 ms and more, for a query that runs in one."""
    pool = await create_pool(database_url, size=2)
    try:
        async with pool.acquire() as connection:
            assert await connection.fetchval("SHOW jit") == "off"
            assert await connection.fetchval("SELECT 1") == 1  # and it reads
    finally:
        await pool.close()
