"""The run-ended hook: every way a run reaches a final state tells each subscriber once, and a
failing subscriber is logged with the run's id without stopping the others or the record."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from app.db.run_table import RunKind, RunState
from app.jobs.batched import Batched
from app.jobs.pooled import acquire
from app.jobs.runners.base import RUNNING, MissingCredentialsError, Outcome
from app.jobs.runs import Run, RunRequest, create_run, set_reference
from app.jobs.service import JobService
from app.jobs.spec import JobSpec
from app.settings import Settings
from tests.jobs.conftest import pool, run_of, settings, stored, until

__all__ = ["pool", "settings", "stored"]


class ScriptedRunner:
    """Runs end when the test says so; a transformer may be refused for want of credentials."""

    follows_elsewhere = False

    def __init__(self) -> None:
        self.ends: dict[str, asyncio.Future[Outcome]] = {}
        self.refused: set[str] = set()
        self.seen: dict[str, Outcome | str | None] = {}

    def end(self, target: str, outcome: Outcome) -> None:
        self.ends.setdefault(target, asyncio.get_running_loop().create_future()).set_result(outcome)

    async def reference(self, spec: JobSpec) -> str | None:
        return None

    async def launch(self, spec: JobSpec) -> str:
        if spec.target in self.refused:
            raise MissingCredentialsError(f"no credentials for {spec.target}")
        return f"scripted:{spec.run_id}"

    async def wait(self, spec: JobSpec, reference: str) -> Outcome:
        future = self.ends.setdefault(spec.target, asyncio.get_running_loop().create_future())
        return await asyncio.shield(future)

    async def cancel(self, reference: str) -> None:
        return None

    async def inspect(self, reference: str) -> Outcome | str | None:
        return self.seen.get(reference)

    async def close(self) -> None:
        return None


class Heard:
    """A subscriber that remembers every run it was told of."""

    def __init__(self) -> None:
        self.runs: list[Run] = []

    async def __call__(self, run: Run) -> None:
        self.runs.append(run)

    def of(self, run_id: int) -> list[RunState]:
        return [run.state for run in self.runs if run.id == run_id]


@pytest.fixture
def runner() -> ScriptedRunner:
    return ScriptedRunner()


@pytest.fixture
def heard() -> Heard:
    return Heard()


@pytest.fixture
async def service(
    pool: asyncpg.Pool, settings: Settings, runner: ScriptedRunner, heard: Heard
) -> AsyncIterator[JobService]:
    created = JobService(pool, settings, runner)
    created.run_ended.subscribe(heard)
    yield created
    await created.close()


async def test_the_runners_outcome_is_told_once(
    service: JobService, runner: ScriptedRunner, heard: Heard
) -> None:
    run, _ = await service.start_transformer("fail_a", "manual")
    runner.end("fail_a", Outcome(RunState.FAILED, 1, "exited with status 1"))
    await service.settled(run.id)
    assert heard.of(run.id) == [RunState.FAILED]
    assert heard.runs[0].reason == "exited with status 1"


async def test_a_cancel_is_told_once_though_the_runner_ends_it_too(
    service: JobService, runner: ScriptedRunner, heard: Heard, pool: asyncpg.Pool
) -> None:
    run, _ = await service.start_transformer("sleepy", "manual")
    await until(lambda: _state_is(pool, run.id, RunState.RUNNING), "the run started")
    await service.cancel(run.id)
    runner.end("sleepy", Outcome(RunState.CANCELLED, reason="killed"))
    await service.settled(run.id)
    assert heard.of(run.id) == [RunState.CANCELLED]


async def test_reconciliation_is_told_once(
    service: JobService, runner: ScriptedRunner, heard: Heard, pool: asyncpg.Pool
) -> None:
    async with acquire(pool) as connection:
        run, _ = await create_run(connection, RunRequest(RunKind.TRANSFORMER, "sleepy", "manual"))
        await set_reference(connection, run.id, "elsewhere:1")
    runner.seen["elsewhere:1"] = RUNNING
    assert await service.reconcile() == []
    runner.seen["elsewhere:1"] = Outcome(RunState.SUCCEEDED, 0)
    assert await service.reconcile() == [run.id]
    assert await service.reconcile() == []
    assert heard.of(run.id) == [RunState.SUCCEEDED]


async def test_a_skipped_start_is_told(
    service: JobService, runner: ScriptedRunner, heard: Heard
) -> None:
    first = await service.start_or_skip("sleepy", "schedule", "tick-1", "scheduler")
    assert first is not None
    assert await service.start_or_skip("sleepy", "schedule", "tick-2", "scheduler") is None
    [skipped] = [run for run in heard.runs if run.id != first]
    assert skipped.state == RunState.CANCELLED and (skipped.reason or "").startswith("skipped")
    runner.end("sleepy", Outcome(RunState.SUCCEEDED, 0))
    await service.settled(first)
    assert heard.of(first) == [RunState.SUCCEEDED]


async def test_a_run_failed_by_the_sync_it_waited_for_is_told_once(
    service: JobService, runner: ScriptedRunner, heard: Heard, pool: asyncpg.Pool
) -> None:
    sync, _ = await service.start_security_sync("manual")
    runner.refused.add("chain_a")
    waiting, _ = await service.start_transformer("chain_a", "manual")
    await until(lambda: _reason_of(pool, waiting.id), "the run waits for the sync")
    runner.end("security-sync", Outcome(RunState.FAILED, 1, "the plan failed"))
    await service.settled(sync.id)
    await service.settled(waiting.id)
    assert heard.of(sync.id) == [RunState.FAILED]
    assert heard.of(waiting.id) == [RunState.FAILED]
    [failed] = [run for run in heard.runs if run.id == waiting.id]
    assert f"security sync run {sync.id}" in (failed.reason or "")


async def test_a_run_lost_as_the_service_stops_is_told_once(
    pool: asyncpg.Pool, settings: Settings, runner: ScriptedRunner, heard: Heard
) -> None:
    service = JobService(pool, settings, runner)
    service.run_ended.subscribe(heard)
    run, _ = await service.start_transformer("sleepy", "manual")
    await until(lambda: _state_is(pool, run.id, RunState.RUNNING), "the run started")
    await service.close()
    assert heard.of(run.id) == [RunState.LOST]


async def test_a_failing_subscriber_is_logged_and_the_others_still_hear(
    service: JobService,
    runner: ScriptedRunner,
    heard: Heard,
    pool: asyncpg.Pool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(run: Run) -> None:
        raise RuntimeError("the notifier is down")

    later = Heard()
    service.run_ended.subscribers.insert(0, broken)
    service.run_ended.subscribe(later)
    run, _ = await service.start_transformer("fail_a", "manual")
    runner.end("fail_a", Outcome(RunState.SUCCEEDED, 0))
    with caplog.at_level(logging.ERROR, logger="ecoplane.jobs"):
        await service.settled(run.id)
    assert heard.of(run.id) == [RunState.SUCCEEDED] and later.of(run.id) == [RunState.SUCCEEDED]
    assert (await run_of(pool, run.id)).state == RunState.SUCCEEDED
    [record] = [r for r in caplog.records if "subscriber" in r.getMessage()]
    assert f"failed for run {run.id}" in record.getMessage() and record.exc_info is not None


async def test_an_end_whose_record_lost_its_connection_is_recorded_again(
    service: JobService,
    runner: ScriptedRunner,
    heard: Heard,
    pool: asyncpg.Pool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The database connection goes (a failover) as the outcome is written: it is written again."""
    tries: list[int] = []

    async def once_lost(ends: list[tuple[int, Outcome]]) -> dict[Any, Run]:
        tries.append(len(ends))
        if len(tries) == 1:
            raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle")
        return await service._finish(ends)

    service.ends = Batched(once_lost)
    run, _ = await service.start_transformer("fail_a", "manual")
    runner.end("fail_a", Outcome(RunState.SUCCEEDED, 0))
    with caplog.at_level(logging.WARNING, logger="ecoplane.jobs"):
        await service.settled(run.id)
    assert len(tries) == 2
    assert (await run_of(pool, run.id)).state == RunState.SUCCEEDED
    assert heard.of(run.id) == [RunState.SUCCEEDED]
    [said] = [r.getMessage() for r in caplog.records if "not recorded" in r.getMessage()]
    assert said.startswith(f"the end of run {run.id} was not recorded (ConnectionDoesNotExist")


async def test_an_end_that_cannot_be_recorded_is_logged_not_raised(
    service: JobService, runner: ScriptedRunner, heard: Heard, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(ends: list[tuple[int, Outcome]]) -> dict[Any, Run]:
        raise RuntimeError("a bug in the statement")

    service.ends = Batched(broken)
    run, _ = await service.start_transformer("fail_a", "manual")
    runner.end("fail_a", Outcome(RunState.SUCCEEDED, 0))
    with caplog.at_level(logging.ERROR, logger="ecoplane.jobs"):
        await service.settled(run.id)  # the follower ends; it does not raise
    [record] = [r for r in caplog.records if "not recorded" in r.getMessage()]
    assert record.getMessage().startswith(f"the end of run {run.id} was not recorded: reconcil")
    assert record.exc_info is not None and heard.of(run.id) == []


async def _state_is(pool: asyncpg.Pool, run_id: int, state: RunState) -> bool:
    return (await run_of(pool, run_id)).state == state


async def _reason_of(pool: asyncpg.Pool, run_id: int) -> str | None:
    return (await run_of(pool, run_id)).reason
