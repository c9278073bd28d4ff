"""The console search's indexes of the active version, made by the service after the activation.

Where the database has pg_trgm, each searched partition (app/catalog/schema.py: SEARCHED) gets
a trigram index of its names and one of its descriptions' words. They are not made by the store:
on the large model they cost ~0.6 s, a third of the version's whole write, and every reader and
the activation would wait for them. The service makes them when a version becomes active (and at
start, for a version stored before or while no service ran) with `CREATE INDEX CONCURRENTLY`,
while it answers: until they exist, a search reads the partition whole (slower, same answer).

Two replicas do not build the same version's indexes: a session advisory lock per version, tried,
not waited for. A build stopped half way (a stop, a lost connection) leaves an invalid index,
which the next build drops and makes again; an index that exists and is valid is kept. Retention
tries the same lock before it drops a version, and leaves a version whose build runs to its
next pass (side by side, each waited for the other: a deadlock seen on PostgreSQL 15).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import cast

import asyncpg

from app.catalog.partitions import partition_name
from app.catalog.schema import PARTITION_SCHEMA, SEARCHED, TRGM_SCHEMA, search_index_statements
from app.db.outage import describe

LOCK_SPACE = 0x5EA4C4  # pg_try_advisory_lock(LOCK_SPACE, version): one builder per version
log = logging.getLogger("ecoplane.search")
EXISTING = "SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND indexname = ANY($2::text[])"
INVALID = (
    "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
    " WHERE c.relnamespace = $1::regnamespace AND c.relname = ANY($2::text[]) AND NOT i.indisvalid"
)


def planned(version_id: int, trgm: str) -> dict[str, str]:
    """Each search index of the version: its name and the statement making it concurrently."""
    made: dict[str, str] = {}
    for table in SEARCHED:
        for statement in search_index_statements(table, partition_name(table, version_id), trgm):
            name = statement.split()[2]
            made[name] = statement.replace(
                "CREATE INDEX ", "CREATE INDEX CONCURRENTLY IF NOT EXISTS ", 1
            )
    return made


async def index_for_search(connection: asyncpg.Connection, version_id: int) -> list[str]:
    """Make the version's missing search indexes (none without pg_trgm); the names made.

    Runs outside a transaction (concurrent index builds cannot run inside one); returns at
    once, making nothing, while another session builds this version's indexes."""
    trgm = await connection.fetchval(TRGM_SCHEMA)
    if trgm is None:
        return []
    if not await connection.fetchval("SELECT pg_try_advisory_lock($1, $2)", LOCK_SPACE, version_id):
        log.info("search indexes of model version %s: another replica makes them, or retention"
                 " drops the version", version_id)  # fmt: skip
        return []
    try:
        if not await connection.fetchval("SELECT 1 FROM model_versions WHERE id = $1", version_id):
            return []  # removed by retention meanwhile (it holds this lock while it drops)
        statements = planned(version_id, trgm)
        for (name,) in await connection.fetch(INVALID, PARTITION_SCHEMA, list(statements)):
            log.warning(
                "search index %s was left invalid by a stopped build: made again", name,
                extra={"version_id": version_id},
            )  # fmt: skip
            await connection.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {PARTITION_SCHEMA}.{name}")
        names = list(statements)
        existing = {r[0] for r in await connection.fetch(EXISTING, PARTITION_SCHEMA, names)}
        missing = [name for name in statements if name not in existing]
        for name in missing:
            await connection.execute(statements[name])
        return missing
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1, $2)", LOCK_SPACE, version_id)


class SearchIndexes:
    """Makes the active version's search indexes in the background (an activation subscriber)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.building: set[asyncio.Task[None]] = set()

    async def activated(self, version_id: int) -> None:
        """Start making the version's indexes; returns at once."""
        task = asyncio.create_task(self._build(version_id), name=f"search-indexes-{version_id}")
        self.building.add(task)
        task.add_done_callback(self.building.discard)

    async def _build(self, version_id: int) -> None:
        started = time.perf_counter()
        try:
            async with self.pool.acquire() as connection:
                made = await index_for_search(cast(asyncpg.Connection, connection), version_id)
        except Exception as error:  # the service runs on; the search is slower, not wrong
            log.warning(
                "search indexes of model version %s not made (%s): the search reads the tables"
                " whole until the next start or activation",
                version_id, describe(error), extra={"version_id": version_id},
            )  # fmt: skip
            return
        if made:
            log.info(
                "search indexes of model version %s made in %.2f s: %s",
                version_id, time.perf_counter() - started, ", ".join(made),
                extra={"version_id": version_id},
            )  # fmt: skip

    async def close(self) -> None:
        """Stop the builds still running (an invalid index left is made again next time)."""
        for task in list(self.building):
            task.cancel()
        await asyncio.gather(*self.building, return_exceptions=True)
