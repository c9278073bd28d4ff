"""The ingest worker: one ingest at a time across every replica, newest request first.

A replica works on an ingest only while it holds a session advisory lock, so at most one ingest
runs anywhere, and an ingest found in a running state by the lock's holder was interrupted (its
process or connection died): it is marked failed and queued again once, unless a newer request
exists that replaces it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.retention import apply_retention
from app.db.engine import driver_connection
from app.db.outage import DRIVER_ERRORS, connection_lost, describe
from app.gitsource import queue
from app.gitsource.pipeline import Pipeline

INGEST_LOCK = (0x45C1, 1)  # (space, key) of the advisory lock the worker holds while it works
CHECK_SECONDS = 2.0  # how often an idle worker looks for requests queued by another replica
log = logging.getLogger("ecoplane.ingest")


class BackgroundWorker:
    """Works through a queue in the background: woken when a request is recorded, and every
    `check_seconds` (for requests of another replica, and retries that come due)."""

    name = "worker"

    def __init__(self, engine: AsyncEngine, *, check_seconds: float = CHECK_SECONDS) -> None:
        self.engine = engine
        self.check_seconds = check_seconds
        self.woken = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.stopping = False

    def wake(self) -> None:
        """Look at the queue now (a request was just recorded)."""
        self.woken.set()

    async def run_once(self) -> int | None:
        """Take one request to its end; its id, or None when there is none to take."""
        raise NotImplementedError

    async def drain(self) -> list[int]:
        """Run queued requests until none is left (or another worker holds the lock)."""
        done: list[int] = []
        while (ingest_id := await self.run_once()) is not None:
            done.append(ingest_id)
        return done

    def start(self) -> None:
        """Work in the background until stopped."""
        self.task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        """Stop working; a request cut short is found by the next worker."""
        if self.task is not None:
            self.stopping = True  # a cancellation that a library swallowed still ends the loop
            self.task.cancel()
            self.woken.set()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None

    async def _loop(self) -> None:
        while not self.stopping:
            self.woken.clear()
            try:
                await self.drain()
            except DRIVER_ERRORS as error:
                log.warning("%s cannot reach the database: %s", self.name, error)
            except Exception as error:  # the worker must outlive a bug; the request is recovered
                if connection_lost(error):  # through SQLAlchemy: an outage, not a bug
                    log.warning("%s cannot reach the database: %s", self.name, describe(error))
                else:
                    log.exception("%s failed", self.name)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.check_seconds):
                    await self.woken.wait()


class IngestWorker(BackgroundWorker):
    """Takes queued ingests and runs them; `run_once` is the unit tests and the CLI drive."""

    name = "ingest-worker"

    def __init__(
        self, engine: AsyncEngine, pipeline: Pipeline, *, check_seconds: float = CHECK_SECONDS
    ) -> None:
        super().__init__(engine, check_seconds=check_seconds)
        self.pipeline = pipeline

    async def run_once(self) -> int | None:
        """Run the newest queued ingest to its end; its id, or None when idle or another worker works."""
        async with self.engine.connect() as handle:
            connection = await driver_connection(handle)
            if not await connection.fetchval("SELECT pg_try_advisory_lock($1, $2)", *INGEST_LOCK):
                return None
            try:
                await recover_interrupted(connection)
                ingest = await queue.claim_newest(connection)
                if ingest is None:
                    return None
                log.info("ingest %s: %s %s", ingest.id, ingest.trigger, ingest.revision)
                await self.pipeline.run(connection, ingest)
            finally:
                await connection.execute("SELECT pg_advisory_unlock($1, $2)", *INGEST_LOCK)
        await apply_retention(self.engine, self.pipeline.settings.keep_versions)
        return ingest.id


async def recover_interrupted(connection: asyncpg.Connection) -> list[queue.Ingest]:
    """Fail ingests a stopped worker left running; queue each again once unless a newer one exists."""
    interrupted = await queue.fail_interrupted(connection)
    newest = await queue.newest_id(connection)
    for ingest in interrupted:
        log.warning(
            "ingest %s was interrupted", ingest.id,
            extra={"ingestId": ingest.id, "state": "failed", "commit": ingest.commit_sha},
        )  # fmt: skip
        if ingest.retry_of is not None or ingest.id != newest:
            continue  # retried once already, or a newer request replaces it
        retry, _ = await queue.queue_ingest(
            connection, trigger=ingest.trigger, ref=ingest.ref, commit_sha=ingest.commit_sha,
            requested_by=ingest.requested_by, retry_of=ingest.id,
        )  # fmt: skip
        log.info("ingest %s retries the interrupted ingest %s", retry.id, ingest.id)
    return interrupted
