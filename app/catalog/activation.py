"""The activation hook: the one place to subscribe to "a model version became active".

The catalog sends `NOTIFY ecoplane_activated, '<version id>'` inside the transaction that
activates a version, so Postgres delivers it only when that transaction commits, and to every
replica listening on the database. Each replica runs one `ActivationListener`: a dedicated
connection that LISTENs and calls the subscribers (the scheduler, ingest bookkeeping, caches)
with the version id. After a lost connection it reconnects and, because a notification sent
meanwhile is lost, compares the active version with the last one it announced and announces
the difference itself; a connection that stops answering its pings (a network cut closes
nothing) counts as lost. Subscribers are called one at a time, in order; one that fails is
logged and does not stop the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import asyncpg

from app.db.liveness import answered_within, dedicated, watch
from app.db.model_versions import active_version_id
from app.db.outage import DRIVER_ERRORS

CHANNEL = "ecoplane_activated"
RECONNECT_SECONDS = 2.0
PING_SECONDS = 10.0  # a connection lost without closing (a network cut) is given up this soon
APPLICATION_NAME = "ecoplane-activation"  # how the listener's connection shows in pg_stat_activity
Subscriber = Callable[[int], Awaitable[None]]
log = logging.getLogger("ecoplane.activation")


async def notify_activated(connection: asyncpg.Connection, version_id: int) -> None:
    """Announce an activation; call inside the activating transaction (delivered on commit)."""
    await connection.execute("SELECT pg_notify($1, $2)", CHANNEL, str(version_id))


class ActivationListener:
    """Calls its subscribers with the id of each version that becomes active."""

    def __init__(
        self, dsn: str, *, reconnect_seconds: float = RECONNECT_SECONDS,
        ping_seconds: float = PING_SECONDS,
    ) -> None:  # fmt: skip
        self.dsn = dsn
        self.reconnect_seconds, self.ping_seconds = reconnect_seconds, ping_seconds
        self.subscribers: list[Subscriber] = []
        self.announced: int | None = None
        self.events: asyncio.Queue[int] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()
        self.connections = 0  # how many times it has connected and listened

    def subscribe(self, subscriber: Subscriber) -> None:
        """Call `subscriber(version_id)` whenever a version becomes active."""
        self.subscribers.append(subscriber)

    async def start(self, active: int | None) -> None:
        """Listen from now on; `active` is the version already active (not announced again)."""
        self.announced = active
        self.task = asyncio.create_task(self._run(), name="activation-listener")
        await self.listening.wait()

    async def stop(self) -> None:
        """Stop listening."""
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None

    async def _run(self) -> None:
        dispatcher = asyncio.create_task(self._dispatch(), name="activation-dispatch")
        try:
            while True:
                try:
                    await self._listen()
                except DRIVER_ERRORS as error:
                    log.warning("activation listener lost its connection: %s", error)
                self.listening.clear()
                await asyncio.sleep(self.reconnect_seconds)
        finally:
            dispatcher.cancel()
            await asyncio.gather(dispatcher, return_exceptions=True)

    async def _listen(self) -> None:
        what, every = "the activation listener's connection", self.ping_seconds
        settings = {"application_name": APPLICATION_NAME}
        async with dedicated(self.dsn, every, what, server_settings=settings) as connection:
            async with answered_within(every, what):
                await connection.add_listener(
                    CHANNEL, lambda _c, _p, _ch, payload: self.events.put_nowait(int(payload))
                )
                current = await active_version_id(connection)
            if current is not None and current != self.announced:
                self.events.put_nowait(current)  # activated while nobody was listening
            self.connections += 1
            self.listening.set()
            await watch(connection, every, what)

    async def _dispatch(self) -> None:
        while True:
            version_id = await self.events.get()
            if version_id == self.announced:
                continue
            self.announced = version_id
            for subscriber in list(self.subscribers):
                try:
                    await subscriber(version_id)
                except Exception:  # one subscriber's failure must not silence the others
                    log.exception("activation subscriber %r failed", subscriber)
