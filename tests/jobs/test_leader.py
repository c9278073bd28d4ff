"""Two service instances on one database: one leads the scheduler, the other takes over."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import StoredVersion, store_model
from app.main import create_app
from app.resources import Resources
from app.settings import Settings
from tests.jobs.conftest import until
from tests.jobs.model import jobs_model

T = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@asynccontextmanager
async def instance(database_url: str, directory: Path) -> AsyncIterator[Resources]:
    """A started service (its lifespan ran) taking part in the election."""
    settings = Settings(database_url=database_url, data_dir=directory, leader_retry_seconds=0.1)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app.state.resources


async def test_one_instance_leads_and_the_other_takes_over(
    database_url: str, stored: StoredVersion, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(instance(database_url, tmp_path / "a"))
        b = await stack.enter_async_context(instance(database_url, tmp_path / "b"))

        async def someone_leads() -> bool:
            return any("cron:chain_a" in x.scheduler.jobs() for x in (a, b))

        await until(someone_leads, "an instance leads")
        leader, follower = (a, b) if a.scheduler.leading else (b, a)

        async def follower_tried() -> bool:
            return follower.election.tries >= 3

        await until(follower_tried, "the other instance kept trying")
        assert leader.scheduler.leading and not follower.scheduler.leading
        assert follower.scheduler.jobs() == {} and "cron:chain_a" in leader.scheduler.jobs()

        await pool.execute("SELECT pg_terminate_backend($1)", leader.election.backend_pid)

        async def taken_over() -> bool:
            scheduling = "cron:chain_a" in follower.scheduler.jobs()
            return scheduling and not leader.scheduler.leading

        await until(taken_over, "the other instance took over")
        assert follower.election.terms == 1 and leader.scheduler.jobs() == {}


async def test_a_tick_fired_by_two_leaders_in_turn_runs_once(
    database_url: str, stored: StoredVersion, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(instance(database_url, tmp_path / "a"))
        b = await stack.enter_async_context(instance(database_url, tmp_path / "b"))
        first = await a.scheduler.fire("chain_a", T + timedelta(seconds=3))
        assert first is not None
        assert await b.scheduler.fire("chain_a", T + timedelta(seconds=40)) is None  # same minute
        await a.jobs.settled(first)
        ticks = await pool.fetchval(
            "SELECT count(*) FROM runs WHERE target = 'chain_a' AND trigger = 'schedule'"
        )
        assert ticks == 1


async def test_an_activation_rebuilds_the_leaders_schedule(
    database_url: str, stored: StoredVersion, engine: AsyncEngine, tmp_path: Path
) -> None:
    async with instance(database_url, tmp_path / "a") as a:

        async def leads() -> bool:
            return a.scheduler.leading and a.scheduler.version == stored.id

        await until(leads, "the instance leads")
        changed = await store_model(engine, jobs_model("0 3 * * *"), source="changed")

        async def rebuilt() -> bool:
            trigger = a.scheduler.jobs().get("cron:chain_a")
            return trigger is not None and a.scheduler.version == changed.id

        await until(rebuilt, "the schedule follows the new version")
        trigger = a.scheduler.jobs()["cron:chain_a"]
        assert trigger.get_next_fire_time(None, T + timedelta(seconds=1)).hour == 3
