"""The scheduler: the leader's APScheduler, rebuilt from the active model on every activation.

It holds a cron trigger per cron transformer and per datastore ingested on cron, the periodic
security sync (when configured) and run reconciliation. A tick starts a run with the key
`tick-<minute>`: a tick fired twice (by two leaders in turn, or a misfire) finds the run of the
first and starts nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from app.db.model_versions import active_version_id
from app.ecosystem.cron import DAYS, parse_cron
from app.errors import AppError, ConflictError
from app.jobs.model import Schedule, ingestion_schedules, schedules
from app.jobs.pooled import acquire
from app.jobs.service import JobService
from app.settings import Settings

BY = "scheduler"
log = logging.getLogger("ecoplane.scheduler")


def cron_trigger(expression: str) -> BaseTrigger:
    """An APScheduler trigger firing at the minutes a five-field cron expression allows (UTC).

    As in cron, when both the day of the month and the day of the week are restricted, a day
    matching either one fires (APScheduler alone would need both).
    """
    cron = parse_cron(expression)

    def values(found: frozenset[int], every: int) -> str:
        return "*" if len(found) == every else ",".join(str(v) for v in sorted(found))

    days = (
        "*" if len(cron.days_of_week) == 7 else ",".join(DAYS[d] for d in sorted(cron.days_of_week))
    )
    fields = {
        "minute": values(cron.minutes, 60),
        "hour": values(cron.hours, 24),
        "month": values(cron.months, 12),
        "timezone": UTC,
    }
    day = values(cron.days_of_month, 31)
    if day != "*" and days != "*":
        return OrTrigger([CronTrigger(day=day, **fields), CronTrigger(day_of_week=days, **fields)])
    return CronTrigger(day=day, day_of_week=days, **fields)


def tick_key(at: datetime) -> str:
    """The idempotency key of the tick at a time: one per minute."""
    return f"tick-{at.astimezone(UTC):%Y%m%dT%H%MZ}"


def scheduled_ingestions(
    found: list[tuple[str, str]], chosen: bool | tuple[str, ...], version_id: int
) -> list[tuple[str, str]]:
    """The cron ingestions of a version that ECOPLANE_INGESTION_SCHEDULE keeps: all (true) or
    the datastores it names; a name the version does not ingest on a cron is logged."""
    if chosen is True:
        return found
    if chosen is False:
        return []
    unknown = sorted(set(chosen) - {datastore for datastore, _ in found})
    if unknown:
        log.warning(
            "ECOPLANE_INGESTION_SCHEDULE names %s, which model version %s does not ingest on a"
            " cron trigger: not scheduled",
            ", ".join(unknown),
            version_id,
            extra={"version_id": version_id, "datastores": unknown},
        )
    return [(datastore, cron) for datastore, cron in found if datastore in chosen]


class Scheduler:
    """What the leader schedules; `fire` is what a trigger calls (tests call it directly)."""

    def __init__(self, service: JobService, pool: asyncpg.Pool, settings: Settings) -> None:
        self.service = service
        self.pool = pool
        self.settings = settings
        self.apscheduler: AsyncIOScheduler | None = None
        self.version: int | None = None
        self.periodic: dict[str, tuple[float, Callable[[], Awaitable[None]]]] = {}

    def every(self, job_id: str, seconds: float, task: Callable[[], Awaitable[None]]) -> None:
        """Run a task every `seconds` while leading, the first time when leading starts."""
        self.periodic[job_id] = (seconds, task)

    @property
    def leading(self) -> bool:
        """Whether this replica schedules now."""
        return self.apscheduler is not None

    async def lead(self) -> None:
        """Become the scheduling replica: settle runs, then schedule the active version."""
        self.apscheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        )
        self.apscheduler.start()
        for job_id, (seconds, task) in self.periodic.items():
            trigger, now = IntervalTrigger(seconds=seconds), datetime.now(UTC)
            self.apscheduler.add_job(task, trigger, id=job_id, next_run_time=now)
        await self._reconcile()
        async with acquire(self.pool) as connection:
            active = await active_version_id(connection)
        if active is not None:
            await self.rebuild(active)  # what an activation starts, unless it already has

    async def step_down(self) -> None:
        """Stop scheduling (another replica leads now)."""
        if self.apscheduler is not None:
            self.apscheduler.shutdown(wait=False)
            self.apscheduler = None

    async def rebuild(self, version_id: int, *, announce: bool = True) -> None:
        """Schedule what a newly active version says (an activation hook subscriber)."""
        if self.apscheduler is None:
            self.version = version_id
            return
        async with acquire(self.pool) as connection:
            found = await schedules(connection, version_id)
            ingestions = (
                scheduled_ingestions(
                    await ingestion_schedules(connection, version_id),
                    self.settings.ingestion_schedule,
                    version_id,
                )
                if self.settings.ingestion_schedule
                else []
            )
        if self.apscheduler is None:  # stepped down meanwhile
            return
        self._schedule(found, ingestions)
        self.version = version_id  # scheduled as this version says from now on
        if announce:
            await self._model_changed(version_id, found)

    def _schedule(self, found: list[Schedule], ingestions: list[tuple[str, str]]) -> None:
        """Replace the version's jobs: cron transformers and ingestions, the security sync,
        reconciliation."""
        assert self.apscheduler is not None
        for job in self.apscheduler.get_jobs():
            if job.id not in self.periodic:  # those keep their rhythm across versions
                job.remove()
        for entry in found:
            if entry.kind == "cron" and entry.cron:
                job_id = f"cron:{entry.transformer}"
                self._add(self.fire, cron_trigger(entry.cron), entry.transformer, job_id)
        for datastore, cron in ingestions:
            self._add(self.fire_ingestion, cron_trigger(cron), datastore, f"ingest:{datastore}")
        if self.settings.security_sync_cron:
            trigger = cron_trigger(self.settings.security_sync_cron)
            self._add(self.fire_security_sync, trigger, None, "security-sync")
        interval = IntervalTrigger(seconds=self.settings.reconcile_seconds)
        self._add(self._reconcile, interval, None, "reconcile")

    async def _model_changed(self, version_id: int, found: list[Schedule]) -> None:
        """What an activation starts, once per activation: the security sync (the onModelChange
        transformers follow when it succeeds), or those transformers at once without it; while
        a run of either is active, it is followed when it ends (app/jobs/follow_up.py)."""
        if not self.settings.security_sync_on_activation:
            await self.service.dependents.model_changed(version_id, found)
            return
        await self.service.follow_ups.start_sync(version_id, BY)

    def _add(self, func: Any, trigger: Any, argument: str | None, job_id: str) -> None:
        assert self.apscheduler is not None
        args = [] if argument is None else [argument]
        self.apscheduler.add_job(func, trigger, args=args, id=job_id, replace_existing=True)

    def jobs(self) -> dict[str, Any]:
        """The scheduled jobs by id, with their triggers."""
        if self.apscheduler is None:
            return {}
        return {job.id: job.trigger for job in self.apscheduler.get_jobs()}

    async def fire(self, transformer: str, at: datetime | None = None) -> int | None:
        """A cron tick of a transformer: the new run's id, or None (skipped or already run)."""
        at = at or datetime.now(UTC)
        try:
            return await self.service.start_or_skip(transformer, "schedule", tick_key(at), BY)
        except AppError as error:  # e.g. the transformer left the model meanwhile
            log.warning("tick of %s not started: %s", transformer, error.detail)
            return None

    async def fire_ingestion(self, datastore: str, at: datetime | None = None) -> int | None:
        """A cron tick of a datastore's ingestion: the new run's id, or None (skipped or run)."""
        at = at or datetime.now(UTC)
        try:
            run, created = await self.service.start_ingestion(
                datastore, "schedule", key=tick_key(at), requested_by=BY
            )
        except AppError as error:  # a batch still running, or the datastore changed meanwhile
            log.warning("ingestion tick of %s not started: %s", datastore, error.detail)
            return None
        return run.id if created else None

    async def fire_security_sync(self, at: datetime | None = None) -> int | None:
        """A tick of the periodic security sync."""
        at = at or datetime.now(UTC)
        try:
            run, created = await self.service.start_security_sync(
                "schedule", key=tick_key(at), requested_by=BY
            )
        except ConflictError as error:
            log.info("security sync tick skipped: %s", error.detail)
            return None
        return run.id if created else None

    async def _reconcile(self) -> None:
        try:
            settled = await self.service.reconcile()
        except AppError as error:
            log.warning("reconciliation failed: %s", error.detail)
            return
        if settled:
            log.info("reconciled runs %s", settled)
