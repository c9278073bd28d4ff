"""Runs that wait for the security sync: asked for while the sync that makes their role runs.

A transformer's run (or a datastore's ingestion, which runs as `di_<datastore>`) refused for
want of credentials while a security-sync run is queued or running stays queued, its reason `waiting for the security sync (run <id>)`. Whoever records that
sync's end (the process following it, reconciliation, a cancel) hands the waiting runs over: it
starts them when the sync succeeded and fails them, naming the sync run, when it did not. The
wait is marked in one statement that holds the sync's row, so a sync cannot end unseen between
the check and the mark. Reconciliation settles waiting runs whose hand-over was lost.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import asyncpg

from app.db.run_table import ACTIVE, ACTIVE_STATES, RunKind, RunState
from app.jobs import run_events
from app.jobs.model import ingestion_credential, transformer_code
from app.jobs.pooled import acquire
from app.jobs.run_lineage import RunLineage
from app.jobs.runs import FIELDS, Run
from app.jobs.spec import JobSpec, ingestion_job, transformer_job
from app.settings import Settings

log = logging.getLogger("ecoplane.jobs")
WAITING = "waiting for the security sync"
Follow = Callable[[int, JobSpec], None]  # the job service's: start a queued run and follow it
Announce = Callable[[Run], Awaitable[None]]  # the run-ended hook's: a waiting run has failed

WAIT = (
    f"WITH sync AS (SELECT id FROM runs WHERE kind = $3 AND state IN ({ACTIVE_STATES})"
    " FOR SHARE)"
    " UPDATE runs r SET reason = $2 || ' (run ' || sync.id || ')' FROM sync"
    " WHERE r.id = $1 AND r.state = 'queued' RETURNING sync.id"
)
WAITERS = "state = 'queued' AND starts_with(reason, $1)"
RESUME = f"UPDATE runs SET reason = NULL WHERE {WAITERS} RETURNING id, kind, target, version_id"
FAIL = (
    "UPDATE runs SET state = 'failed', reason = $2, attempts = 0, finished_at = now()"
    f" WHERE {WAITERS} RETURNING {FIELDS}"
)
SYNCED_SINCE = (
    "SELECT EXISTS (SELECT 1 FROM runs s, runs r WHERE r.id = $1 AND s.kind = $2"
    " AND s.state = 'succeeded' AND s.finished_at >= r.created_at)"
)
LATEST_SYNC = f"SELECT {FIELDS} FROM runs WHERE kind = $1 ORDER BY id DESC LIMIT 1"


def is_waiting(run: Run) -> bool:
    """Whether a queued run waits for the security sync."""
    return run.state == RunState.QUEUED and (run.reason or "").startswith(WAITING)


def sync_failure(sync: Run) -> str:
    """Why a waiting run fails: the sync run it waited for did not succeed."""
    why = f": {sync.reason}" if sync.reason else ""
    return f"the security sync run {sync.id} it waited for did not succeed ({sync.state}{why})"


class SyncWaits:
    """Marks runs waiting for the security sync, and hands them over when the sync ends."""

    def __init__(
        self, pool: asyncpg.Pool, settings: Settings, follow: Follow, announce: Announce,
        lineage: RunLineage | None = None,
    ) -> None:  # fmt: skip
        self.pool = pool
        self.settings = settings
        self.follow = follow
        self.announce = announce
        self.lineage = lineage

    async def wait(self, run_id: int) -> int | None:
        """Mark the queued run waiting for the active security sync: its id, or None (none)."""
        async with acquire(self.pool) as connection:
            sync = await connection.fetchval(WAIT, run_id, WAITING, RunKind.SECURITY_SYNC)
        if sync is not None:
            log.info("run %s waits for the security sync run %s", run_id, sync)
        return int(sync) if sync is not None else None

    async def synced_since(self, run_id: int) -> bool:
        """Whether a security sync succeeded since the run was asked for (it may have its role now)."""
        async with acquire(self.pool) as connection:
            return bool(await connection.fetchval(SYNCED_SINCE, run_id, RunKind.SECURITY_SYNC))

    async def sync_ended(self, sync: Run) -> None:
        """Start the runs that waited for this sync (it succeeded), or fail them naming it."""
        if sync.state != RunState.SUCCEEDED:
            async with acquire(self.pool) as connection, connection.transaction():
                failed = await connection.fetch(FAIL, WAITING, sync_failure(sync))
                ended = [Run.from_row(row) for row in failed]
                await run_events.ended(connection, ended, self.lineage)
            for row in failed:  # the run-ended hook logs each (app/jobs/ended.py)
                await self.announce(Run.from_row(row))
            return
        async with acquire(self.pool) as connection:
            resumed = await connection.fetch(RESUME, WAITING)
            specs = [await self._spec(connection, row) for row in resumed]
        for row, spec in zip(resumed, specs, strict=True):
            log.info("run %s starts: the security sync run %s succeeded", row["id"], sync.id)
            self.follow(row["id"], spec)

    async def _spec(self, connection: asyncpg.Connection, row: asyncpg.Record) -> JobSpec:
        """The spec of a run that waited: a datastore's ingestion, or a transformer's run."""
        run_id, target, version = row["id"], row["target"], row["version_id"]
        if row["kind"] == RunKind.INGESTION:
            credential = await ingestion_credential(connection, version, target)
            return ingestion_job(target, credential, run_id, self.settings)
        code = await transformer_code(connection, version, target)
        return transformer_job(code, run_id, self.settings)

    async def settle(self, active: list[Run]) -> None:
        """Hand over waiting runs no sync will (theirs ended, no other is active): by the last."""
        if any(run.kind == RunKind.SECURITY_SYNC for run in active) or not any(
            map(is_waiting, active)
        ):
            return
        async with acquire(self.pool) as connection:
            latest = await connection.fetchrow(LATEST_SYNC, RunKind.SECURITY_SYNC)
        if latest is not None and latest["state"] not in ACTIVE:  # else: one started since
            await self.sync_ended(Run.from_row(latest))
