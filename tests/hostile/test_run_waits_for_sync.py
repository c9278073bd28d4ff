"""A run asked for while the security sync that makes its role is queued or running waits for
it: started when the sync succeeds, failed naming the sync when it does not."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest

from app.db.run_table import RunKind, RunState
from app.jobs.pooled import acquire
from app.jobs.runners.base import Outcome
from app.jobs.runners.local import LocalRunner
from app.jobs.runs import finish_run
from app.jobs.service import UNSTARTED_GRACE, JobService
from app.jobs.spec import JobSpec
from app.resources import with_run_subscribers
from app.security.secrets.run_secrets import run_secrets
from app.settings import Settings
from tests.jobs.conftest import give_credentials, pool, run_of, settings, stored

__all__ = ["pool", "settings", "stored"]
WAITING = "waiting for the security sync"


class SyncGate:
    """Transformers run by the local runner; the security sync ends when the test says so, and
    gives the transformers their credentials first when it succeeds (as the real one does)."""

    follows_elsewhere = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.local = LocalRunner(settings, run_secrets(settings))
        self.ends: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()

    async def reference(self, spec: JobSpec) -> str | None:
        return None

    async def launch(self, spec: JobSpec) -> str:
        if spec.kind == RunKind.SECURITY_SYNC:
            return f"gate:{spec.run_id}"
        return await self.local.launch(spec)

    async def wait(self, spec: JobSpec, reference: str) -> Outcome:
        if spec.kind != RunKind.SECURITY_SYNC:
            return await self.local.wait(spec, reference)
        outcome = await asyncio.shield(self.ends)
        if outcome.state == "succeeded":
            await give_credentials(self.settings, "chain_a")
        return outcome

    async def cancel(self, reference: str) -> None:
        if reference.startswith("gate:") and not self.ends.done():
            self.ends.set_result(Outcome(RunState.CANCELLED, reason="cancelled on request"))

    async def inspect(self, reference: str) -> Outcome | str | None:
        return None

    async def close(self) -> None:
        await self.local.close()


@pytest.fixture
async def gate(settings: Settings) -> SyncGate:
    return SyncGate(settings)


@pytest.fixture
async def service(
    pool: asyncpg.Pool, settings: Settings, gate: SyncGate
) -> AsyncIterator[JobService]:
    """A job service whose security sync is held open; no transformer has credentials yet."""
    created = with_run_subscribers(JobService(pool, settings, gate))
    yield created
    if not gate.ends.done():
        gate.ends.set_result(Outcome(RunState.FAILED, reason="the test ended"))
    await created.close()


async def _waiting(service: JobService, pool: asyncpg.Pool) -> tuple[int, int]:
    """A security sync running, and a run of chain_a asked for meanwhile (it has no role yet)."""
    sync, _ = await service.start_security_sync("manual")
    run, _ = await service.start_transformer("chain_a", "manual")
    await service.settled(run.id)  # the run's start is over: it was refused and waits
    return sync.id, run.id


async def test_a_run_asked_for_during_the_sync_waits_and_starts_when_it_succeeds(
    service: JobService, pool: asyncpg.Pool, gate: SyncGate, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "ecoplane.jobs")
    sync, run = await _waiting(service, pool)
    waiting = await run_of(pool, run)
    assert waiting.state == "queued" and waiting.reason == f"{WAITING} (run {sync})"
    assert waiting.started_at is None and waiting.finished_at is None
    assert f"run {run} waits for the security sync run {sync}" in caplog.text
    gate.ends.set_result(Outcome(RunState.SUCCEEDED, 0))
    await service.settled(sync)
    await service.settled(run)  # handed over when the sync's end was recorded
    done = await run_of(pool, run)
    assert done.state == "succeeded", done
    assert done.reason is None and done.started_at is not None
    assert f"run {run} starts: the security sync run {sync} succeeded" in caplog.text


async def test_a_run_waiting_for_a_failed_sync_fails_naming_it(
    service: JobService, pool: asyncpg.Pool, gate: SyncGate, caplog: pytest.LogCaptureFixture
) -> None:
    sync, run = await _waiting(service, pool)
    gate.ends.set_result(Outcome(RunState.FAILED, 1, "exited with status 1"))
    await service.settled(sync)
    done = await run_of(pool, run)
    why = (
        f"the security sync run {sync} it waited for did not succeed (failed: exited with status 1)"
    )
    assert (done.state, done.reason, done.started_at) == ("failed", why, None)
    told = [
        r for r in caplog.records if r.levelno >= logging.WARNING and vars(r).get("runId") == run
    ]
    assert [(r.levelname, vars(r)["state"], vars(r)["reason"]) for r in told] == [
        ("ERROR", "failed", why)  # one line, from the run-ended hook
    ]


async def test_a_cancelled_sync_fails_the_runs_waiting_for_it(
    service: JobService, pool: asyncpg.Pool
) -> None:
    sync, run = await _waiting(service, pool)
    await service.cancel(sync)
    await service.settled(sync)
    done = await run_of(pool, run)
    assert done.state == "failed"
    assert (done.reason or "").startswith(
        f"the security sync run {sync} it waited for did not succeed"
    )


async def test_reconciliation_leaves_a_waiting_run_while_its_sync_runs(
    service: JobService, pool: asyncpg.Pool
) -> None:
    sync, run = await _waiting(service, pool)
    old = timedelta(seconds=UNSTARTED_GRACE.total_seconds() * 2)
    await pool.execute("UPDATE runs SET created_at = now() - $2::interval WHERE id = $1", run, old)
    assert await service.reconcile() == []  # not `lost: it was never started`
    assert (await run_of(pool, run)).reason == f"{WAITING} (run {sync})"


async def test_reconciliation_hands_over_a_waiting_run_whose_sync_ended_elsewhere(
    service: JobService, pool: asyncpg.Pool, settings: Settings
) -> None:
    sync, run = await _waiting(service, pool)
    await give_credentials(settings, "chain_a")  # another replica's sync succeeded, then it stopped
    async with acquire(pool) as connection:
        await finish_run(connection, sync, Outcome(RunState.SUCCEEDED, 0))
    await service.reconcile()
    await service.settled(run)
    assert (await run_of(pool, run)).state == "succeeded"


async def test_a_sync_that_ends_between_the_refusal_and_the_wait_lets_the_run_start(
    service: JobService, pool: asyncpg.Pool, gate: SyncGate, settings: Settings
) -> None:
    sync, _ = await service.start_security_sync("manual")
    refuse = gate.local.launch

    async def refused_as_the_sync_ends(spec: JobSpec) -> str:
        gate.local.launch = refuse  # type: ignore[method-assign]
        try:
            return await refuse(spec)  # no credentials yet: refused
        finally:  # ...and the sync succeeds before the run is marked waiting
            await give_credentials(settings, "chain_a")
            async with acquire(pool) as connection:
                await finish_run(connection, sync.id, Outcome(RunState.SUCCEEDED, 0))

    gate.local.launch = refused_as_the_sync_ends  # type: ignore[method-assign]
    run, _ = await service.start_transformer("chain_a", "manual")
    await service.settled(run.id)
    assert (await run_of(pool, run.id)).state == "succeeded"


async def test_a_run_without_its_role_and_no_sync_active_still_fails_at_once(
    service: JobService, pool: asyncpg.Pool
) -> None:
    run, _ = await service.start_transformer("chain_a", "manual")
    await service.settled(run.id)
    done = await run_of(pool, run.id)
    assert done.state == "failed"
    assert (done.reason or "").startswith("security sync has not created role dt_chain_a yet")
