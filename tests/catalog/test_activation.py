"""The activation hook: every replica hears each activation once, after it commits."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.activation import APPLICATION_NAME, ActivationListener
from app.catalog.store import store_model
from app.db.urls import asyncpg_dsn
from app.ecosystem.loader import load_texts
from tests.catalog.variants import variant
from tests.ecosystem.modeltext import BASE


class Heard:
    """A subscriber that records what it was told and lets a test wait for it."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.changed = asyncio.Condition()

    async def __call__(self, version_id: int) -> None:
        async with self.changed:
            self.ids.append(version_id)
            self.changed.notify_all()

    async def until(self, count: int) -> list[int]:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: len(self.ids) >= count), 30)
        return self.ids


async def test_every_replica_hears_each_activation_once(
    engine: AsyncEngine, database_url: str
) -> None:
    first = (await store_model(engine, variant(1), source="repo")).id
    replicas = [ActivationListener(asyncpg_dsn(database_url)) for _ in range(2)]
    heard = [Heard(), Heard()]
    for replica, subscriber in zip(replicas, heard, strict=True):
        replica.subscribe(subscriber)
        await replica.start(first)  # the active version is not announced again
    try:
        second = (await store_model(engine, variant(2), source="repo")).id
        again = await store_model(engine, variant(1), source="repo")  # back to the first content
        assert again.id == first
        for subscriber in heard:
            assert await subscriber.until(2) == [second, first]
    finally:
        for replica in replicas:
            await replica.stop()


async def test_a_rejected_model_is_not_announced(engine: AsyncEngine, database_url: str) -> None:
    listener = ActivationListener(asyncpg_dsn(database_url))
    heard = Heard()
    listener.subscribe(heard)
    await listener.start(None)
    try:
        broken = load_texts({**BASE, "extra.yaml": "kind: Nonsense\n"})
        assert broken.errors > 0
        await store_model(engine, broken, source="repo")
        good = (await store_model(engine, variant(3), source="repo")).id
        assert await heard.until(1) == [good]
    finally:
        await listener.stop()


async def test_an_activation_nobody_heard_is_announced_when_listening_starts(
    engine: AsyncEngine, database_url: str
) -> None:
    first = (await store_model(engine, variant(1), source="repo")).id
    second = (await store_model(engine, variant(2), source="repo")).id
    listener = ActivationListener(asyncpg_dsn(database_url))
    heard = Heard()
    listener.subscribe(heard)
    await listener.start(first)  # it last knew the first; the second came while it was away
    try:
        assert await heard.until(1) == [second]
    finally:
        await listener.stop()


async def test_the_listener_reconnects_after_losing_its_connection(
    engine: AsyncEngine, database_url: str
) -> None:
    first = (await store_model(engine, variant(1), source="repo")).id
    listener = ActivationListener(asyncpg_dsn(database_url), reconnect_seconds=0)
    heard = Heard()
    listener.subscribe(heard)
    await listener.start(first)
    admin = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        killed = await admin.fetchval(  # the listener's connection dies, as in a network failure
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = $1",
            APPLICATION_NAME,
        )
        assert killed == 1
        async with asyncio.timeout(30):
            while listener.connections < 2:  # listening again on a new connection
                await asyncio.sleep(0.01)
        second = (await store_model(engine, variant(2), source="repo")).id
        third = (await store_model(engine, variant(3), source="repo")).id
        assert await heard.until(2) == [second, third]
    finally:
        await admin.close()
        await listener.stop()
