"""Leader election: the replica holding a Postgres advisory lock on its own connection leads.

The lock lives as long as the session that took it, so a leader that dies, or whose
connection drops, lets go at once; the others try again every few seconds and one takes over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import asyncpg

LOCK_KEY = int.from_bytes(b"ecoplane", "big") >> 1  # one bigint, the same for every replica
STEP_ASIDE = 10  # retries a replica waits after losing the lead, so another one takes it
APPLICATION_NAME = "ecoplane-leader"  # how the lock connection shows in pg_stat_activity
log = logging.getLogger("ecoplane.leader")


class LeaderElection:
    """Calls `on_lead` when this replica becomes the leader and `on_lose` when it stops being it."""

    def __init__(
        self,
        dsn: str,
        on_lead: Callable[[], Awaitable[None]],
        on_lose: Callable[[], Awaitable[None]],
        *,
        retry_seconds: float = 2.0,
        key: int = LOCK_KEY,
    ) -> None:
        self.dsn = dsn
        self.on_lead, self.on_lose = on_lead, on_lose
        self.retry_seconds = retry_seconds
        self.key = key
        self.leading = asyncio.Event()
        self.terms = 0  # how many times this replica has become the leader
        self.tries = 0  # how many times it asked for the lock
        self.backend_pid: int | None = None  # the server process holding its lock connection
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Take part in the election from now on."""
        self.task = asyncio.create_task(self._run(), name="leader-election")

    async def stop(self) -> None:
        """Leave the election (the lock goes with the connection)."""
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None

    async def _run(self) -> None:
        while True:
            terms = self.terms
            try:
                await self._campaign()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("leader election lost its connection: %s", error)
            # a replica that just lost the lead lets the others take it first
            stepped_down = self.terms != terms
            await asyncio.sleep(self.retry_seconds * (STEP_ASIDE if stepped_down else 1))

    async def _campaign(self) -> None:
        connection = await asyncpg.connect(
            self.dsn, server_settings={"application_name": APPLICATION_NAME}
        )
        try:
            self.tries += 1
            if not await connection.fetchval("SELECT pg_try_advisory_lock($1)", self.key):
                return
            self.backend_pid = connection.get_server_pid()
            await self._lead(connection)
        finally:
            if not connection.is_closed():
                connection.terminate()

    async def _lead(self, connection: asyncpg.Connection) -> None:
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _: lost.set())
        self.terms += 1
        self.leading.set()
        log.info("this replica leads the scheduler")
        try:
            await self.on_lead()
            while not lost.is_set():  # a ping notices a connection that died quietly
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.retry_seconds):
                        await lost.wait()
                if not lost.is_set():
                    await connection.fetchval("SELECT 1")
        finally:
            self.leading.clear()
            log.info("this replica no longer leads the scheduler")
            await asyncio.shield(self.on_lose())
