"""Housekeeping of model versions: drop the oldest beyond the kept number, fail interrupted loads."""

from __future__ import annotations

import asyncio
import logging
import time

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.partitions import partition_name
from app.catalog.schema import ENTITY_PREFIX
from app.catalog.search_indexes import LOCK_SPACE as SEARCH_SPACE
from app.catalog.store import LOCK_SPACE
from app.db.engine import driver_connection
from app.ecosystem.model_tables import MODEL_TABLES

LOCK_TIMEOUT = "10s"  # a retention that cannot get its locks gives up; the next one retries
BUILD_WAIT_SECONDS = 60  # how long retention waits for a version's search-index build to end
log = logging.getLogger("ecoplane.catalog")
INTERRUPTED = "interrupted: the process storing this version stopped before it finished"


async def fail_interrupted(engine: AsyncEngine) -> list[int]:
    """Mark versions left `loading` by a process that died as failed; return their ids.

    A version still being stored is skipped: its loader holds the version's advisory lock.
    """
    failed: list[int] = []
    async with engine.connect() as handle:
        connection = await driver_connection(handle)
        for version_id in await connection.fetchval(
            "SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM model_versions WHERE state = 'loading'"
        ):
            if await connection.fetchval(
                "SELECT pg_try_advisory_lock($1, $2)", LOCK_SPACE, version_id
            ):
                try:
                    await connection.execute(
                        "UPDATE model_versions SET state = 'failed', failure = $2 WHERE id = $1 AND state = 'loading'",
                        version_id,
                        INTERRUPTED,
                    )
                    failed.append(version_id)
                finally:
                    await connection.execute(
                        "SELECT pg_advisory_unlock($1, $2)", LOCK_SPACE, version_id
                    )
    return failed


async def apply_retention(engine: AsyncEngine, keep: int) -> list[int]:
    """Delete all but the newest `keep` finished versions (never the active one); return their ids."""
    async with engine.connect() as handle:
        connection = await driver_connection(handle)
        doomed: list[int] = await connection.fetchval(
            "SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM ("
            "  SELECT id FROM model_versions WHERE state IN ('superseded', 'rejected', 'failed')"
            "  ORDER BY id DESC OFFSET greatest($1 - (SELECT count(*) FROM model_versions"
            "    WHERE state IN ('active', 'loading')), 0)) AS old",
            keep,
        )
        removed: list[int] = []
        for version_id in doomed:
            try:
                if await _dropped(connection, version_id):
                    removed.append(version_id)
            except (asyncpg.LockNotAvailableError, asyncpg.DeadlockDetectedError) as error:
                log.info("retention stopped at model version %s (%s): the next one tries again",
                         version_id, type(error).__name__, extra={"versionId": version_id})  # fmt: skip
                break  # long-running readers hold the tables
    return removed


async def _dropped(connection: asyncpg.Connection, version_id: int) -> bool:
    """Drop the version unless its search indexes are being made: the build holds its version's
    lock, and its CREATE INDEX CONCURRENTLY on a partition would wait for the drop's transaction
    while the drop waits for that partition (a deadlock). Holding the lock, the drop keeps new
    builds of the version off. A build is waited for (BUILD_WAIT_SECONDS), then the version is
    left to the next retention."""
    deadline = time.monotonic() + BUILD_WAIT_SECONDS
    while not await connection.fetchval(  # tried again and again, never waited for in a statement
        "SELECT pg_try_advisory_lock($1, $2)", SEARCH_SPACE, version_id
    ):
        if time.monotonic() > deadline:
            log.info("retention left model version %s: its search indexes are being made",
                     version_id, extra={"versionId": version_id})  # fmt: skip
            return False
        await asyncio.sleep(0.1)
    try:
        await _drop_version(connection, version_id)
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1, $2)", SEARCH_SPACE, version_id)
    return True


async def _drop_version(connection: asyncpg.Connection, version_id: int) -> None:
    """Detach and drop a version's partitions and delete its row, in one transaction.

    DETACH waits for readers of the model table and holds new ones back for milliseconds; the
    versions dropped are never active, so no `current_*` view reads them.
    """
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1, 0)", LOCK_SPACE)
        await connection.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        for table in MODEL_TABLES:
            partition = partition_name(table, version_id)
            if await connection.fetchval(
                "SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass($1)", partition
            ):
                await connection.execute(
                    f"ALTER TABLE {ENTITY_PREFIX}{table} DETACH PARTITION {partition}"
                )
            await connection.execute(f"DROP TABLE IF EXISTS {partition}")
        await connection.execute("DELETE FROM model_versions WHERE id = $1", version_id)
