"""A dedicated connection kept under watch: one that is closed, or stops answering, is lost.

A connection that only waits (the leader's lock, a LISTEN) learns of a server that went away by
its socket closing; a node or network that vanishes closes nothing. `watch` pings it, so such a
connection is given up within a bound instead of waited on for hours.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, NoReturn

import asyncpg


class ConnectionLostError(ConnectionError):
    """A watched connection was closed, or did not answer a ping in time."""


@contextlib.asynccontextmanager
async def answered_within(every: float, what: str) -> AsyncIterator[None]:
    """Bound a step of opening a watched connection (connecting, LISTEN): a network that is gone
    answers nothing, so a step that takes longer than `every` seconds raises ConnectionLostError
    naming `what`, as an unanswered ping does."""
    try:
        async with asyncio.timeout(every):
            yield
    except TimeoutError as error:
        raise ConnectionLostError(f"{what} did not answer within {every:g} s") from error


@contextlib.asynccontextmanager
async def dedicated(
    dsn: str, every: float, what: str, **connect: Any
) -> AsyncIterator[asyncpg.Connection]:
    """A connection of its own for the block (a lock, a LISTEN), opened within `every` seconds
    (`answered_within`), and ended without a goodbye that waits: the network may be gone."""
    async with answered_within(every, what):
        connection = await asyncpg.connect(dsn, **connect)
    try:
        yield connection
    finally:
        if not connection.is_closed():
            connection.terminate()


async def watch(connection: asyncpg.Connection, every: float, what: str) -> NoReturn:
    """Ping `connection` every `every` seconds until it is closed or a ping is not answered
    within as long; then raise ConnectionLostError naming `what`."""
    lost = asyncio.Event()
    connection.add_termination_listener(lambda _: lost.set())
    while True:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(every):
                await lost.wait()
        if lost.is_set() or connection.is_closed():
            raise ConnectionLostError(f"{what} was closed")
        try:
            async with asyncio.timeout(every):
                await connection.fetchval("SELECT 1")
        except TimeoutError as error:
            raise ConnectionLostError(f"{what} did not answer a ping within {every:g} s") from error
