"""The polling backstop: the branch head is compared with what was ingested (deliveries get lost)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.engine import driver_connection
from app.db.outage import DRIVER_ERRORS
from app.errors import AppError
from app.gitsource import queue
from app.gitsource.git import Repository

log = logging.getLogger("ecoplane.poll")


async def poll_once(
    engine: AsyncEngine, repository: Repository, branch: str
) -> queue.Ingest | None:
    """Queue an ingest of the branch head when no ingest has that commit yet; the ingest, or None."""
    head = await repository.head(branch)
    if head is None:
        log.warning("the branch %r does not exist in the model repository", branch)
        return None
    async with engine.connect() as handle:
        connection = await driver_connection(handle)
        if await _known(connection, head):
            return None
        ingest, _ = await queue.queue_ingest(
            connection, trigger="poll", ref=branch, commit_sha=head, requested_by="poll"
        )
    log.info("the branch %r moved to %s: ingest %s queued", branch, head[:12], ingest.id)
    return ingest


async def _known(connection: asyncpg.Connection, commit: str) -> bool:
    """Whether the commit is active, or an ingest of it is queued, running or done (not failed)."""
    if commit in await queue.active_commits(connection):
        return True
    found = await connection.fetchval(
        "SELECT 1 FROM ingests WHERE commit_sha = $1 AND state <> 'failed' LIMIT 1", commit
    )
    return found is not None


class Poller:
    """One poll of the branch head that wakes the worker when it queues; the leader's
    scheduler calls `poll` every `ECOPLANE_POLL_SECONDS`, the first time when it starts leading."""

    def __init__(
        self,
        engine: AsyncEngine,
        repository: Repository,
        branch: str,
        on_queued: Callable[[], None],
    ) -> None:
        self.engine, self.repository, self.branch = engine, repository, branch
        self.on_queued = on_queued

    async def poll(self) -> None:
        """Compare the branch head with the last ingest; queue and wake the worker if it moved."""
        try:
            if await poll_once(self.engine, self.repository, self.branch) is not None:
                self.on_queued()
        except AppError as error:
            log.warning("polling the model repository failed: %s", error.detail)
        except DRIVER_ERRORS as error:
            log.warning("polling cannot reach the database: %s", error)
