"""A pooled connection typed as the connection it stands for."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

import asyncpg

from app.db.engine import CONNECT_SECONDS


@asynccontextmanager
async def acquire(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the pool for a few statements (the pool's proxy forwards every method)."""
    async with pool.acquire() as connection:
        yield cast(asyncpg.Connection, connection)


async def _unchanged(connection: asyncpg.Connection) -> None:
    """The jobs' statements leave no session state behind: nothing to reset on release."""


async def jobs_pool(dsn: str, *, size: int = 5) -> asyncpg.Pool:
    """A small pool of the jobs' own: one-statement autocommit use, released without a reset."""
    pool = await asyncpg.create_pool(
        dsn, min_size=1, max_size=size, reset=_unchanged, timeout=CONNECT_SECONDS
    )
    assert pool is not None
    return pool
