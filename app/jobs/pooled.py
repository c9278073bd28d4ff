"""A pooled connection typed as the connection it stands for."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

import asyncpg


@asynccontextmanager
async def acquire(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the pool for a few statements (the pool's proxy forwards every method)."""
    async with pool.acquire() as connection:
        yield cast(asyncpg.Connection, connection)
