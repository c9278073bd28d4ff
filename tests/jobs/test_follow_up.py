"""An activation made while a security sync runs gets a sync of its own: the running sync is
marked, and one follow-up starts when it ends, planned from the model active then. Durable
(a stopped service's reconciliation starts it), coalescing, and the runs that wait for the sync
wait for the follow-up when their role comes from the newer version."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.overrides import activate_on_purpose
from app.catalog.store import store_model
from app.db.run_table import RunState
from app.jobs.runners.base import Outcome
from app.jobs.scheduler import Scheduler
from app.jobs.service import JobService
from app.resources import with_run_subscribers
from app.settings import Settings
from tests.jobs.conftest import run_of, until
from tests.jobs.held import HeldRuns
from tests.jobs.model import jobs_model

Leading = tuple[Scheduler, JobService, HeldRuns]
ENDED = Outcome(RunState.FAILED, 1, "the test ended")


async def _leading(pool: asyncpg.Pool, settings: Settings, runner: HeldRuns) -> Leading:
    """A leading scheduler that syncs after each activation; the first sync held open."""
    on = settings.model_copy(update={"security_sync_on_activation": True})
    service = with_run_subscribers(JobService(pool, on, runner))
    scheduler = Scheduler(service, pool, on)
    await scheduler.lead()
    return scheduler, service, runner


async def _stop(leading: Leading) -> None:
    scheduler, service, runner = leading
    for end in runner.ends.values():
        if not end.done():
            end.set_result(ENDED)
    await scheduler.step_down()
    await service.close()


@pytest.fixture
async def leading(pool: asyncpg.Pool, settings: Settings) -> AsyncIterator[Leading]:
    started = await _leading(pool, settings, HeldRuns(pool, settings))
    yield started
    await _stop(started)


async def _activate(engine: AsyncEngine, scheduler: Scheduler, minutes: int) -> int:
    """A new version stored and activated, and announced to the scheduler: its id."""
    stored = await store_model(engine, jobs_model(f"*/{minutes} * * * *"), source=f"v{minutes}")
    await scheduler.rebuild(stored.id)
    return stored.id


async def _syncs(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT id, state, trigger, version_id, requested_by, follow_up_version, idempotency_key"
        " FROM runs WHERE kind = 'security-sync' ORDER BY id"
    )
    return [dict(row) for row in rows]


async def test_an_activation_during_a_sync_gets_one_follow_up_that_syncs_the_newer_version(
    leading: Leading, engine: AsyncEngine, pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "ecoplane.jobs")
    scheduler, service, runner = leading
    first = await runner.next_launch()
    older = runner.planned[first]
    newer = await _activate(engine, scheduler, 7)
    assert [(s["id"], s["follow_up_version"]) for s in await _syncs(pool)] == [(first, newer)]
    runner.end(first)
    follow_up = await runner.next_launch()
    assert (runner.planned[first], runner.planned[follow_up]) == (older, newer)
    runner.end(follow_up)
    await service.idle()
    syncs = await _syncs(pool)
    assert [s["id"] for s in syncs] == [first, follow_up]  # exactly one follow-up
    assert syncs[1] | {"id": 0} == {
        "id": 0, "state": "succeeded", "trigger": "model-change", "version_id": newer,
        "requested_by": f"run {first}", "follow_up_version": None,
        "idempotency_key": syncs[1]["idempotency_key"],
    }  # fmt: skip
    assert syncs[1]["idempotency_key"].startswith(f"model-change-{newer}-")
    line = (
        f"security sync run {follow_up} follows run {first}: version {newer} activated while it ran"
    )
    assert line in caplog.text
    transformers = await pool.fetch(
        "SELECT id FROM runs WHERE kind <> 'security-sync' AND trigger = 'model-change'"
    )
    assert transformers and all(r["id"] > follow_up for r in transformers)  # after the newer sync


async def test_three_activations_during_one_sync_get_one_follow_up_of_the_last(
    leading: Leading, engine: AsyncEngine, pool: asyncpg.Pool
) -> None:
    scheduler, service, runner = leading
    first = await runner.next_launch()
    versions = [await _activate(engine, scheduler, minutes) for minutes in (7, 11, 13)]
    runner.end(first, RunState.FAILED)  # a sync that fails is followed all the same
    follow_up = await runner.next_launch()
    assert runner.planned[follow_up] == versions[-1]
    runner.end(follow_up)
    await service.idle()
    syncs = await _syncs(pool)
    assert [(s["id"], s["state"]) for s in syncs] == [(first, "failed"), (follow_up, "succeeded")]
    assert syncs[0]["follow_up_version"] == versions[-1]


async def test_a_follow_up_left_when_the_service_stops_is_started_by_reconcile_on_the_next_start(
    pool: asyncpg.Pool, settings: Settings, engine: AsyncEngine
) -> None:
    scheduler, service, runner = leading = await _leading(pool, settings, HeldRuns(pool, settings))
    first = await runner.next_launch()
    newer = await _activate(engine, scheduler, 7)
    await _stop(leading)  # the sync is recorded lost; the stopping service starts nothing
    syncs = await _syncs(pool)
    assert [(s["id"], s["state"], s["follow_up_version"]) for s in syncs] == [
        (first, "lost", newer)
    ]
    again = HeldRuns(pool, settings)
    service = with_run_subscribers(JobService(pool, settings, again))
    try:
        await service.reconcile()  # as every replica does when it starts
        follow_up = await again.next_launch()
        assert again.planned[follow_up] == newer
        await service.reconcile()  # a second pass finds a sync after the mark: nothing more
        again.end(follow_up)
        await service.idle()
        syncs = await _syncs(pool)
        assert [(s["id"], s["state"], s["requested_by"]) for s in syncs[1:]] == [
            (follow_up, "succeeded", f"run {first}")
        ]
    finally:
        for end in again.ends.values():
            if not end.done():
                end.set_result(ENDED)
        await service.close()


async def test_a_run_waiting_for_the_sync_waits_for_the_follow_up_that_makes_its_role(
    pool: asyncpg.Pool, settings: Settings, engine: AsyncEngine
) -> None:
    runner = HeldRuns(pool, settings, local_transformers=True)
    scheduler, service, _ = leading = await _leading(pool, settings, runner)
    try:
        first = await runner.next_launch()
        run, _ = await service.start_transformer("chain_a", "manual")
        await service.settled(run.id)  # no role yet: it waits for the running sync
        assert (await run_of(pool, run.id)).reason == f"waiting for the security sync (run {first})"
        newer = await _activate(engine, scheduler, 7)
        runner.grants[newer] = ("chain_a",)  # its role comes from the newer version
        runner.end(first)
        follow_up = await runner.next_launch()
        waiting = f"waiting for the security sync (run {follow_up})"

        async def waits() -> bool:
            return (await run_of(pool, run.id)).reason == waiting

        await until(waits, "the run waits for the follow-up")
        runner.end(follow_up)
        await service.idle()
        assert (await run_of(pool, run.id)).state == "succeeded"
    finally:
        await _stop(leading)


async def test_a_rollback_to_a_version_synced_before_gets_a_sync_of_its_own(
    leading: Leading, engine: AsyncEngine, pool: asyncpg.Pool
) -> None:
    scheduler, service, runner = leading
    first = await runner.next_launch()
    older = runner.planned[first]
    runner.end(first)
    newer = await _activate(engine, scheduler, 7)
    runner.end(await runner.next_launch())
    async with pool.acquire() as connection:
        await activate_on_purpose(connection, older, by="test", reason="roll back")  # type: ignore[arg-type]
    await scheduler.rebuild(older)
    rollback = await runner.next_launch()
    assert runner.planned[rollback] == older != newer
    runner.end(rollback)
    await service.idle()
    assert [s["version_id"] for s in await _syncs(pool)] == [older, newer, older]
