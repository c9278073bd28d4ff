"""Leader election: the replica holding a Postgres advisory lock on its own connection leads.

The lock lives as long as the session that took it, so a leader that dies, or whose connection
drops, lets go at once; the others try again every few seconds and one takes over.

A leader whose node vanishes, or whose network stops carrying packets without closing anything,
closes no socket: its session would hold the lock until the server's TCP keepalive gave up
(hours by default). `Failover` bounds that to ECOPLANE_FAILOVER_SECONDS: the leader pings its
lock connection and stops leading when a ping does not come back in time, and the server ends
the session (and so frees the lock) when the leader's pings stop arriving: the session sets
`idle_session_timeout` (and TCP keepalives, for a peer that vanished) on itself. The leader
steps down well before the server frees the lock, so two replicas never schedule at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import asyncpg

from app.db.liveness import dedicated, watch
from app.db.outage import connection_lost, describe

LOCK_KEY = int.from_bytes(b"ecoplane", "big") >> 1  # one bigint, the same for every replica
STEP_ASIDE = 10  # retries a replica waits after losing the lead, so another one takes it
APPLICATION_NAME = "ecoplane-leader"  # how the lock connection shows in pg_stat_activity
KEEPALIVE_PROBES = 3  # unanswered TCP keepalive probes before the server drops the session
log = logging.getLogger("ecoplane.leader")


@dataclass(frozen=True, slots=True)
class Failover:
    """The time limits that make another replica lead within `seconds` of the leader's loss.

    The leader pings every tenth of it and gives up after a tenth without an answer (at most a
    fifth after the loss); the server ends a session idle for half of it, which frees the lock
    at least two fifths after the loss; a standby tries every `retry_seconds` (at most a
    quarter) and waits a tenth for a connection: it leads within 0.85 of `seconds`.
    """

    seconds: float = 30.0

    @property
    def ping_seconds(self) -> float:
        """How often the leader pings its lock connection, and how long it waits for an answer."""
        return self.seconds / 10

    @property
    def connect_seconds(self) -> float:
        """How long a replica waits for its lock connection (or an answer to its try)."""
        return self.seconds / 10

    @property
    def idle_seconds(self) -> float:
        """How long the server keeps a lock session whose pings stopped arriving."""
        return self.seconds / 2

    def server_settings(self) -> dict[str, str]:
        """The lock session's settings: the server ends it when the leader's pings stop
        (`idle_session_timeout`) or when its peer stops answering TCP keepalives."""
        keepalive = max(1, round(self.seconds / 10))
        return {
            "application_name": APPLICATION_NAME,
            "idle_session_timeout": str(round(self.idle_seconds * 1000)),
            "statement_timeout": str(round(self.ping_seconds * 1000)),
            "tcp_keepalives_idle": str(keepalive),
            "tcp_keepalives_interval": str(max(1, round(self.seconds / 30))),
            "tcp_keepalives_count": str(KEEPALIVE_PROBES),
        }


class LeaderElection:
    """Calls `on_lead` when this replica becomes the leader and `on_lose` when it stops being it."""

    def __init__(
        self,
        dsn: str,
        on_lead: Callable[[], Coroutine[Any, Any, None]],
        on_lose: Callable[[], Awaitable[None]],
        *,
        retry_seconds: float = 2.0,
        failover: Failover | None = None,
        key: int = LOCK_KEY,
    ) -> None:
        self.dsn = dsn
        self.on_lead, self.on_lose = on_lead, on_lose
        self.retry_seconds = retry_seconds
        self.failover = failover or Failover()
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
            except Exception as error:  # the election must outlive anything but a stop
                if not connection_lost(error):
                    log.exception("leader election failed; it tries again")
                else:
                    log.warning("leader election lost its connection: %s", describe(error))
            # a replica that just lost the lead lets the others take it first
            stepped_down = self.terms != terms
            await asyncio.sleep(self.retry_seconds * (STEP_ASIDE if stepped_down else 1))

    async def _campaign(self) -> None:
        limit, settings = self.failover.connect_seconds, self.failover.server_settings()
        async with dedicated(
            self.dsn, limit, "the lock connection", server_settings=settings
        ) as connection:
            self.tries += 1
            query = "SELECT pg_try_advisory_lock($1)"
            if not await connection.fetchval(query, self.key, timeout=limit):
                return
            self.backend_pid = connection.get_server_pid()
            await self._lead(connection)

    async def _lead(self, connection: asyncpg.Connection) -> None:
        self.terms += 1
        self.leading.set()
        log.info("this replica leads the scheduler")
        watched = watch(connection, self.failover.ping_seconds, "the lock connection")
        holding = asyncio.create_task(watched, name="leader-lock")
        starting = asyncio.create_task(self.on_lead(), name="leader-start")
        try:  # the lock is watched while leading starts: a loss then stops the start
            await asyncio.wait({holding, starting}, return_when=asyncio.FIRST_COMPLETED)
            if starting.done():
                starting.result()  # a start that failed ends this term (and is logged)
            await holding  # until the lock connection is lost
        finally:
            for task in (holding, starting):
                task.cancel()
            await asyncio.gather(holding, starting, return_exceptions=True)
            self.leading.clear()
            log.info("this replica no longer leads the scheduler")
            await asyncio.shield(self.on_lose())
