"""The API's read connections, lent to one request at a time, in arrival order.

A read takes a connection, runs a statement or two and gives it back. Through asyncpg's pool
each of those turns costs about as much CPU as the statement itself: the pool's queue, a
timeout around the acquire, a task shielding the release, the connection's reset. The lender
keeps the connections it took from its own pool and lends them again directly; it gives one
back to the pool only when it cannot vouch for it (the block failed, the connection closed or
was left in a transaction, or its connections were expired since it was lent). The pool is
the lender's alone, so the connections it keeps are never missed by anyone else.

Requests wait for a connection in arrival order (`turns`): the pool's own queue lets a newcomer
overtake a woken waiter, and under load a few requests then waited for seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, cast

import asyncpg

from app.db.engine import create_pool

if TYPE_CHECKING:  # generic only in the stubs
    from asyncpg.pool import PoolConnectionProxy

    Proxy = PoolConnectionProxy[asyncpg.Record]  # a connection of the pool, as it lends it


class ReadLender:
    """Lends the connections of its pool, at most `size` at once, first come first served."""

    def __init__(self, pool: asyncpg.Pool, size: int) -> None:
        self.pool = pool
        self.turns = asyncio.Semaphore(size)
        self.idle: list[Proxy] = []  # taken from the pool, kept for the next read
        self.epoch = 0  # one more at each expiry: a connection lent before it goes back

    @classmethod
    async def opened(cls, url: str, size: int) -> ReadLender:
        """A lender of at most `size` connections at once, of a pool of its own on `url`."""
        return cls(await create_pool(url, size=size), size)

    @asynccontextmanager
    async def lend(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection for the block; the newest kept one, else one of the pool."""
        async with self.turns:
            connection = await self._kept() or await self.pool.acquire()
            epoch = self.epoch
            try:
                yield cast(asyncpg.Connection, connection)  # the proxy forwards every method
            except BaseException:
                await self.pool.release(connection)  # its state is unknown: the pool resets it
                raise
            if epoch == self.epoch and _clean(connection):
                self.idle.append(connection)
            else:
                await self.pool.release(connection)

    async def _kept(self) -> Proxy | None:
        """The newest kept connection still open; those that closed meanwhile go back to the
        pool, which replaces them (asyncpg took back already those whose proxy it detached)."""
        while self.idle:
            connection = self.idle.pop()
            if _clean(connection):
                return connection
            await self.pool.release(connection)
        return None

    async def expire(self) -> None:
        """After a connection was lost: every connection is replaced, the kept ones now and the
        lent ones when they come back (the others probably died with it)."""
        self.epoch += 1
        await self.release_kept()
        await self.pool.expire_connections()

    async def release_kept(self) -> None:
        """Give the kept connections back to the pool."""
        kept, self.idle = self.idle, []
        for connection in kept:
            await self.pool.release(connection)

    async def close(self) -> None:
        """Give the kept connections back, then close the pool (waiting for those lent)."""
        await self.release_kept()
        await self.pool.close()

    def terminate(self) -> None:
        """Close every connection now, lent or not."""
        self.idle = []
        self.pool.terminate()


def _clean(connection: Proxy) -> bool:
    """Whether a connection can be lent again as it is: still the pool's (not detached by a
    close), open, and in no transaction."""
    held: asyncpg.Connection | None = getattr(connection, "_con", None)  # None once detached
    return held is not None and not held.is_closed() and not held.is_in_transaction()
