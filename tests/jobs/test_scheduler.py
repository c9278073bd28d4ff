"""The scheduler, driven by calling its triggers (never by waiting for the wall clock)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import store_model
from app.ecosystem.cron import parse_cron
from app.jobs.scheduler import Scheduler, cron_trigger, tick_key
from app.jobs.service import JobService
from app.settings import Settings
from tests.jobs.conftest import until
from tests.jobs.model import jobs_model

T = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@pytest.fixture
async def scheduler(service: JobService, pool: asyncpg.Pool) -> AsyncIterator[Scheduler]:
    """A scheduler that leads (no election: that is tested on its own)."""
    created = Scheduler(service, pool, service.settings)
    await created.lead()
    yield created
    await created.step_down()


def _brute_force_next(expression: str, after: datetime) -> datetime:
    cron, at = parse_cron(expression), after.replace(second=0, microsecond=0)
    while True:
        at += timedelta(minutes=1)
        dow = (at.weekday() + 1) % 7  # cron counts from Sunday
        by_date, by_weekday = at.day in cron.days_of_month, dow in cron.days_of_week
        both_restricted = len(cron.days_of_month) < 31 and len(cron.days_of_week) < 7
        day = (by_date or by_weekday) if both_restricted else (by_date and by_weekday)
        if at.minute in cron.minutes and at.hour in cron.hours and at.month in cron.months and day:
            return at


@pytest.mark.parametrize(
    "expression",
    ["*/5 * * * *", "0 4 * * 0", "30 2 1 * *", "@hourly", "15 9 * * mon-fri", "0 12 13 * fri"],
)
def test_triggers_fire_when_the_cron_expression_says(expression: str) -> None:
    trigger, at = cron_trigger(expression), T
    for _ in range(5):
        expected = _brute_force_next(expression, at)
        assert trigger.get_next_fire_time(None, at + timedelta(seconds=1)) == expected
        at = expected


async def test_the_leader_schedules_cron_transformers_and_reconciliation(
    scheduler: Scheduler,
) -> None:
    jobs = scheduler.jobs()
    assert set(jobs) == {
        "cron:chain_a",
        "cron:MaskCustomers",
        "ingest:Customers",  # the datastore's sql-snapshot ingestion on its cron trigger
        "reconcile",
    }  # onInputChange and external: no trigger
    assert jobs["cron:chain_a"].get_next_fire_time(None, T + timedelta(seconds=1)) == T + timedelta(
        minutes=5
    )


async def test_the_security_sync_is_scheduled_when_configured(
    service: JobService, pool: asyncpg.Pool
) -> None:
    settings = service.settings.model_copy(update={"security_sync_cron": "*/15 * * * *"})
    scheduler = Scheduler(service, pool, settings)
    await scheduler.lead()
    try:
        assert "security-sync" in scheduler.jobs()
    finally:
        await scheduler.step_down()


async def test_a_tick_starts_one_run_and_a_busy_target_is_skipped_and_recorded(
    scheduler: Scheduler, service: JobService, pool: asyncpg.Pool
) -> None:
    first = await scheduler.fire("sleepy", T)
    assert first is not None
    assert await scheduler.fire("sleepy", T) is None  # the same tick again: nothing new
    assert await scheduler.fire("sleepy", T + timedelta(minutes=1)) is None  # still running
    rows = await pool.fetch("SELECT * FROM runs WHERE target = 'sleepy' ORDER BY id")
    assert (rows[0]["trigger"], rows[0]["idempotency_key"]) == ("schedule", tick_key(T))
    skipped = rows[1]
    assert len(rows) == 2 and skipped["state"] == "cancelled"
    assert skipped["reason"].startswith("skipped: ") and f"run {first} is" in skipped["reason"]
    await service.cancel(first)


async def test_a_new_version_rebuilds_the_schedule(
    scheduler: Scheduler, engine: AsyncEngine
) -> None:
    stored = await store_model(engine, jobs_model("0 3 * * *"), source="changed")
    await scheduler.rebuild(stored.id)
    assert scheduler.jobs()["cron:chain_a"].get_next_fire_time(None, T) == T.replace(
        hour=3
    ) + timedelta(days=1)


async def test_only_the_leader_schedules(service: JobService, pool: asyncpg.Pool) -> None:
    follower = Scheduler(
        service, pool, Settings(database_url="postgresql://unused", scheduler=False)
    )
    await follower.rebuild(1)
    assert not follower.leading and follower.jobs() == {}


async def test_the_scheduled_trigger_starts_the_tick(
    scheduler: Scheduler, service: JobService, pool: asyncpg.Pool
) -> None:
    assert scheduler.apscheduler is not None
    job = scheduler.apscheduler.get_job("cron:chain_a")
    job.modify(next_run_time=datetime.now(UTC))  # the trigger is driven, not waited for
    scheduler.apscheduler.wakeup()

    async def started() -> asyncpg.Record | None:
        return await pool.fetchrow(
            "SELECT * FROM runs WHERE target = 'chain_a' AND trigger = 'schedule'"
        )

    run = await until(started, "the trigger started a run")
    assert run["idempotency_key"].startswith("tick-") and run["requested_by"] == "scheduler"
    await service.settled(run["id"])
    assert job.next_run_time > datetime.now(UTC)  # back on its cron schedule


async def test_periodic_tasks_run_while_leading_first_at_once_and_survive_rebuilds(
    service: JobService, pool: asyncpg.Pool
) -> None:
    polled = asyncio.Event()

    async def poll() -> None:
        polled.set()

    scheduler = Scheduler(service, pool, service.settings)
    scheduler.every("model-poll", 300, poll)
    assert scheduler.jobs() == {}  # a follower polls nothing
    started = datetime.now(UTC)
    await scheduler.lead()
    try:
        await asyncio.wait_for(polled.wait(), 30)  # the first poll when leading starts
        assert scheduler.jobs()["model-poll"].interval.total_seconds() == 300
        assert scheduler.apscheduler is not None
        following = scheduler.apscheduler.get_job("model-poll").next_run_time
        assert following >= started + timedelta(seconds=300)
        await scheduler.rebuild(scheduler.version or 0, announce=False)
        assert scheduler.apscheduler.get_job("model-poll").next_run_time == following  # kept
    finally:
        await scheduler.step_down()
    assert scheduler.jobs() == {}
