"""The control-plane database: where it is (configured or embedded) and the async engine."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import orjson
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from app.db.embedded import CONTROL_DATABASE, ensure_database, start_embedded
from app.db.urls import asyncpg_dsn, sqlalchemy_url
from app.settings import Settings


async def database_url(settings: Settings) -> str:
    """The configured database URL, or the embedded server's (started if needed)."""
    if settings.database_url:
        return settings.database_url
    server = start_embedded(settings.data_dir)
    return await ensure_database(server, CONTROL_DATABASE)


def create_engine(url: str, *, pool_size: int = 5) -> AsyncEngine:
    """An async engine (asyncpg) for the database at url."""
    return create_async_engine(sqlalchemy_url(url), pool_size=pool_size, pool_pre_ping=True)


@asynccontextmanager
async def open_engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """An engine for the configured (or embedded) database, disposed of at the end."""
    engine = create_engine(await database_url(settings))
    try:
        yield engine
    finally:
        await engine.dispose()


async def driver_connection(handle: AsyncConnection) -> asyncpg.Connection:
    """The asyncpg connection under a SQLAlchemy connection, for COPY and session locks."""
    raw = await handle.get_raw_connection()
    connection: asyncpg.Connection = raw.driver_connection  # type: ignore[assignment]
    return connection


def _json_text(value: object) -> str:
    return orjson.dumps(value).decode()


async def _codecs(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec(
        "jsonb", encoder=_json_text, decoder=orjson.loads, schema="pg_catalog"
    )


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Return a connection to the pool as it is (an open transaction is still rolled back)."""


POOL_SIZE = 20  # connections of the API's read pool, at most, unless configured
# the service's own reads beside the API's: lineage graphs and search indexes being built,
# /readyz and /metrics, token lookups, the event deliveries
SERVICE_POOL_SIZE = 5
CONNECTIONS_PER_CORE = 4
CONNECT_SECONDS = 10.0  # how long a pool waits for a new connection before it gives up


def read_pool_size(configured: int, embedded: bool) -> int:
    """The API's read connections: as configured; else, for the embedded database (on this
    machine's cores), four per core of the machine, at most POOL_SIZE; else POOL_SIZE.

    On two cores, twenty connections to the embedded server running queries at once made it
    time-slice twenty backends beside the service: the slowest answers of the cold reads with
    the largest queries (a datastore, a page of the list) took 2-3x longer (p99 56-125 ms
    against 22-37 ms with eight, interleaved runs), for about as many answers a second."""
    if configured:
        return configured
    if not embedded:
        return POOL_SIZE
    return min(POOL_SIZE, CONNECTIONS_PER_CORE * (os.cpu_count() or 1))


async def create_pool(url: str, *, size: int = POOL_SIZE) -> asyncpg.Pool:
    """An asyncpg pool for the read paths of the API (jsonb decoded to Python values).

    Its connections are for reads only: nothing may leave session state on them (SET, session
    advisory locks, LISTEN), because they are returned to the pool without the default
    reset, which costs every request a round trip to the server. JIT compilation is off for
    them: an answer's query takes a millisecond or less, and a generic plan of a list's query
    (estimated over every row of a version) made the server compile it for 70 ms and more.
    A connection found closed is replaced when taken; after a connection-level error the API expires them all
    (app/api/outages.py), so none that died with the server is used again.
    """
    pool = await asyncpg.create_pool(
        asyncpg_dsn(url), min_size=1, max_size=size, init=_codecs, reset=_keep_session,
        timeout=CONNECT_SECONDS, server_settings={"jit": "off"},
    )  # fmt: skip
    assert pool is not None
    return pool
