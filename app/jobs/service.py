"""Runs from request to outcome: record first, then the runner; follow; record; chain.

A run row is committed (queued) before the runner is asked for anything, so a crash leaves a
record that reconciliation settles. The runner's handle is noted before the start when it is
known in advance (a Job name), and a run cancelled meanwhile is stopped again right after.
Every run recorded in a final state is announced to the run-ended subscribers (app/jobs/ended.py);
what a run that succeeds starts next (app/jobs/dependents.py) is one of them.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from app.db.outage import connection_lost, describe
from app.db.run_table import RunKind, RunState
from app.errors import AppError, ConflictError
from app.jobs.batched import Batched
from app.jobs.dependents import Dependents
from app.jobs.ended import RunEnded
from app.jobs.follow_up import ATTEMPTS, FollowUps
from app.jobs.model import active_ingestion, active_transformer_code
from app.jobs.pooled import acquire
from app.jobs.queued import queue_transformer_run
from app.jobs.run_lineage import RunLineage
from app.jobs.runners.base import RUNNING, MissingCredentialsError, Outcome, Runner, RunRefusedError
from app.jobs.runs import (
    Run,
    RunRequest,
    active_runs,
    cancel_run,
    create_run,
    finish_run,
    finish_runs,
    mark_many_running,
    record_skipped,
    set_references,
)
from app.jobs.spec import (
    JobSpec,
    followed_spec,
    ingestion_job,
    security_sync_job,
    transformer_job,
    transformer_kind,
)
from app.jobs.waiting import SyncWaits, is_waiting
from app.settings import Settings

log = logging.getLogger("ecoplane.jobs")
UNSTARTED_GRACE = timedelta(seconds=60)  # a queued run without a handle this old never started
END_RETRY_PAUSES = (0.2, 1.0, 3.0, 10.0)  # seconds before each new try to record a run's end


class JobService:
    """Starts, follows, cancels and reconciles runs with one runner."""

    def __init__(
        self, pool: asyncpg.Pool, settings: Settings, runner: Runner,
        lineage: RunLineage | None = None,  # the runs' OpenLineage events, when configured
    ) -> None:  # fmt: skip
        self.pool, self.settings, self.runner, self.lineage = pool, settings, runner, lineage
        self.following: dict[int, asyncio.Task[None]] = {}
        self.closing = False  # set by close(): nothing new is followed or chained
        self.follows_elsewhere = runner.follows_elsewhere
        self.run_ended = RunEnded()  # subscribers: app.resources.with_run_subscribers
        self.dependents = Dependents(pool, settings, self.start_or_skip)
        self.waits = SyncWaits(pool, settings, self._follow, self.run_ended.announce, lineage)
        self.follow_ups = FollowUps(pool, self)  # what follows a run an activation found running
        # runs move in bursts: the moves asked while one statement runs share the next
        self.references = Batched(self._set_references)
        self.starts = Batched(self._mark_running)
        self.ends = Batched(self._finish)

    async def start_transformer(
        self,
        name: str,
        trigger: str,
        *,
        key: str | None = None,
        requested_by: str | None = None,
    ) -> tuple[Run, bool]:
        """A run of a transformer of the active version; False when the key's run already existed."""
        async with acquire(self.pool) as connection:
            if key is None:  # nothing to look up first: one statement
                run, code = await queue_transformer_run(connection, name, trigger, requested_by)
                created = True
            else:
                version, code = await active_transformer_code(connection, name)
                kind = transformer_kind(code)
                request = RunRequest(kind, name, trigger, version, key, requested_by)
                run, created = await create_run(connection, request)
        if created:
            self._follow(run.id, transformer_job(code, run.id, self.settings))
        return run, created

    async def start_security_sync(
        self,
        trigger: str,
        *,
        key: str | None = None,
        requested_by: str | None = None,
        version_id: int | None = None,
    ) -> tuple[Run, bool]:
        """A run of the security sync (`version_id`: the activation it follows, if any)."""
        async with acquire(self.pool) as connection:
            request = RunRequest(
                RunKind.SECURITY_SYNC, RunKind.SECURITY_SYNC, trigger, version_id, key, requested_by
            )
            run, created = await create_run(connection, request)
        if created:
            self._follow(run.id, security_sync_job(run.id, self.settings))
        return run, created

    async def start_ingestion(
        self,
        datastore: str,
        trigger: str,
        *,
        key: str | None = None,
        requested_by: str | None = None,
    ) -> tuple[Run, bool]:
        """A run of a datastore's data ingestion (one batch); refused unless ecoplane runs its kind."""
        async with acquire(self.pool) as connection:
            version, code = await active_ingestion(connection, datastore)
            request = RunRequest(RunKind.INGESTION, datastore, trigger, version, key, requested_by)
            run, created = await create_run(connection, request)
        if created:
            self._follow(run.id, ingestion_job(datastore, code.credential, run.id, self.settings))
        return run, created

    async def start_or_skip(self, name: str, trigger: str, key: str, by: str) -> int | None:
        """Start a transformer for the scheduler; a refused start is recorded, not raised (an
        activation's marks the run in its way instead: app/jobs/follow_up.py)."""
        for _ in range(ATTEMPTS):
            if self.closing:  # a stopping service starts nothing new
                return None
            try:
                run, created = await self.start_transformer(name, trigger, key=key, requested_by=by)
            except ConflictError as error:
                if await self._refused(name, trigger, by, error):
                    return None
                continue  # the run in the way ended meanwhile
            return run.id if created else None
        return None

    async def _refused(self, name: str, trigger: str, by: str, error: ConflictError) -> bool:
        """Record a refused start, or mark the run in an activation's way; False: none is active."""
        async with acquire(self.pool) as connection:
            version, code = await active_transformer_code(connection, name)
        request = RunRequest(transformer_kind(code), name, trigger, version, None, by)
        if trigger == "model-change":
            return await self.follow_ups.mark(request.kind, name, version) is not None
        async with acquire(self.pool) as connection:
            skipped = await record_skipped(connection, request, error.detail)
        log.info("skipped %s (%s) as run %s: %s", name, trigger, skipped.id, error.detail)
        await self.run_ended.announce(skipped)
        return True

    def _follow(self, run_id: int, spec: JobSpec, reference: str | None = None) -> None:
        if self.closing:  # the queued row is settled by reconciliation on the next start
            return
        task = asyncio.create_task(self._carry(run_id, spec, reference), name=f"run-{run_id}")
        self.following[run_id] = task
        task.add_done_callback(lambda _: self.following.pop(run_id, None))

    async def settled(self, run_id: int) -> None:
        """Wait until this process stops following the run (it has been recorded)."""
        task = self.following.get(run_id)
        if task is not None:
            await asyncio.shield(task)

    async def idle(self) -> None:
        """Wait until this process follows no run (chained runs included)."""
        while self.following:
            await asyncio.gather(
                *map(asyncio.shield, self.following.values()), return_exceptions=True
            )

    async def _carry(self, run_id: int, spec: JobSpec, reference: str | None) -> None:
        try:
            if reference is None:
                outcome = await self._launch_and_wait(run_id, spec)
            else:
                outcome = await self.runner.wait(spec, reference)
        except AppError as error:
            outcome = Outcome(
                RunState.FAILED, reason=f"the runner failed: {error.detail}", attempts=0
            )
        except Exception as error:  # recorded, never left running: the details go to the log
            log.exception("run %s failed inside ecoplane", run_id)
            outcome = Outcome(
                RunState.FAILED, reason=f"ecoplane failed: {type(error).__name__}", attempts=0
            )
        if outcome is None:
            return
        finished = await self._record_end(run_id, outcome)
        if finished is not None:
            await self._ended(finished)

    async def _record_end(self, run_id: int, outcome: Outcome) -> Run | None:
        """Record the outcome, again after a lost database connection (a failover, a terminated
        backend); what still fails is logged and left to reconciliation, which asks the runner."""
        for pause in (*END_RETRY_PAUSES, None):
            try:
                return await self.ends.get((run_id, outcome))
            except Exception as error:
                if pause is None or self.closing or not connection_lost(error):
                    log.exception("the end of run %s was not recorded: reconciliation settles"
                                  " it", run_id, extra={"runId": run_id})  # fmt: skip
                    return None
                log.warning("the end of run %s was not recorded (%s): tried again in %.1f s",
                            run_id, describe(error), pause, extra={"runId": run_id})  # fmt: skip
                await asyncio.sleep(pause)
        return None

    async def _launch_and_wait(self, run_id: int, spec: JobSpec) -> Outcome | None:
        planned = await self.runner.reference(spec)
        if planned is not None and not await self.references.get((run_id, planned)):
            return None  # cancelled while queued
        try:
            reference = await self._launch(run_id, spec)
        except RunRefusedError as error:
            log.warning("run %s of %s refused: %s", run_id, spec.target, error,
                        extra={"run_id": run_id, "target": spec.target})  # fmt: skip
            return Outcome(RunState.FAILED, reason=str(error), attempts=0)
        if reference is None:
            return None  # it waits for the security sync, which hands it over when it ends
        if not await self.starts.get((run_id, reference, 1)):
            await self.runner.cancel(reference)  # cancelled while it was being started
            return None
        return await self.runner.wait(spec, reference)

    async def _launch(self, run_id: int, spec: JobSpec) -> str | None:
        """Start the spec; None when it waits for the running security sync to make its role."""
        try:
            return await self.runner.launch(spec)
        except MissingCredentialsError:
            if await self.waits.wait(run_id) is not None:
                return None
            if not await self.waits.synced_since(run_id):
                raise
        return await self.runner.launch(spec)  # a sync ended between the refusal and the wait

    async def _set_references(self, references: list[tuple[int, str]]) -> dict[Any, bool]:
        async with acquire(self.pool) as connection:
            active = await set_references(connection, references)
        return {key: key[0] in active for key in references}

    async def _mark_running(self, starts: list[tuple[int, str, int]]) -> dict[Any, bool]:
        async with acquire(self.pool) as connection:
            started = await mark_many_running(connection, starts, self.lineage)
        return {key: key[0] in started for key in starts}

    async def _finish(self, ends: list[tuple[int, Outcome]]) -> dict[Any, Run]:
        async with acquire(self.pool) as connection:
            finished = await finish_runs(connection, ends, self.lineage)
        first: dict[int, tuple[int, Outcome]] = {}  # a run ends once: by its first outcome
        for key in ends:
            first.setdefault(key[0], key)
        return {key: finished[run_id] for run_id, key in first.items() if run_id in finished}

    async def _ended(self, run: Run) -> None:
        """A run's end is recorded: its follow-up starts (first: a run waiting for this sync whose
        role the newer version makes waits for it), the waiting runs go on, subscribers hear."""
        try:
            await self.follow_ups.follow(run)
        except Exception:  # the mark stays: reconciliation starts the follow-up
            log.exception("the follow-up of run %s was not started", run.id)
        if run.kind == RunKind.SECURITY_SYNC and not self.closing:
            try:
                await self.waits.sync_ended(run)
            except Exception:  # the sync itself is recorded; reconciliation hands them over
                log.exception("the runs waiting for run %s were not handed over", run.id)
        await self.run_ended.announce(run)

    async def cancel(self, run_id: int) -> Run:
        """Cancel an active run and stop it in the runner; ConflictError once it has ended."""
        async with acquire(self.pool) as connection:
            run = await cancel_run(connection, run_id, self.lineage)
        if run.runner_ref:
            await self.runner.cancel(run.runner_ref)
        await self._ended(run)  # a cancelled sync fails the runs that waited for it
        return run

    async def reconcile(self) -> list[int]:
        """Settle active runs nobody here follows: ended → recorded, gone → lost. Returns ids."""
        async with acquire(self.pool) as connection:
            runs = await active_runs(connection)
        settled = []
        for run in runs:  # a run waiting for the security sync is the sync's to hand over
            if run.id in self.following or is_waiting(run):
                continue
            if await self._reconcile_one(run):
                settled.append(run.id)
        await self.waits.settle(runs)
        await self.follow_ups.settle()
        return settled

    async def _reconcile_one(self, run: Run) -> bool:
        reference = run.runner_ref
        if reference is None:
            if datetime.now(UTC) - run.created_at < UNSTARTED_GRACE:
                return False
            outcome: Outcome | str | None = Outcome(RunState.LOST, reason="it was never started")
        else:
            seen = await self.runner.inspect(reference)
            if seen == RUNNING:
                if self.follows_elsewhere:  # a Job outlives the replica that started it
                    self._follow(
                        run.id, followed_spec(run.id, run.kind, run.target, reference), reference
                    )
                return False
            outcome = seen or Outcome(
                RunState.LOST, reason=f"the runner has no trace of {reference}"
            )
        assert isinstance(outcome, Outcome)
        async with acquire(self.pool) as connection:
            finished = await finish_run(connection, run.id, outcome, self.lineage)
        if finished is not None:
            await self._ended(finished)
        return finished is not None

    async def close(self) -> None:
        """Stop following; a local runner's children die with the service and are recorded lost."""
        self.closing = True
        tasks: dict[int, asyncio.Task[None]] = {}
        while self.following:  # a run that ended meanwhile may have chained another
            tasks.update(self.following)
            for task in self.following.values():
                task.cancel()
            await asyncio.gather(*self.following.values(), return_exceptions=True)
        for batched in (self.references, self.starts, self.ends):
            await batched.close()
        await self.runner.close()
        if self.follows_elsewhere or not tasks:
            return
        gone = Outcome(RunState.LOST, reason="the service stopped while it ran", attempts=0)
        async with acquire(self.pool) as connection:
            lost = [await finish_run(connection, run_id, gone, self.lineage) for run_id in tasks]
        for run in lost:
            if run is not None:
                await self._ended(run)
