"""What an activation starts follows the run in its way: at most one follow-up per target.

An activation starts the security sync (or, without it, the `onModelChange` transformers) once,
by its key (`activation_key`). While a run of that target is active the database refuses a
second one (`one_active_run`); the activation then marks the active run instead
(`follow_up_version`, one statement on its row: any number of activations while it runs leave
one mark, the latest version). Whoever records that run's end starts the follow-up: the same
start, by the key of the version active then, so it plans from the model active at its own start.
The mark is durable: reconciliation starts a follow-up whose start was lost (the service stopped).
"""

from __future__ import annotations

import logging
from typing import Protocol

import asyncpg

from app.db.model_versions import active_version_id
from app.db.run_table import ACTIVE_STATES, RunKind
from app.errors import AppError, ConflictError
from app.jobs.pooled import acquire
from app.jobs.runs import FIELDS, Run

log = logging.getLogger("ecoplane.jobs")
SYNC = RunKind.SECURITY_SYNC
ATTEMPTS = 3  # a run in the way that ends between the refusal and the mark: start again
MARK = (
    "UPDATE runs SET follow_up_version = $3 WHERE kind = $1 AND target = $2"
    f" AND state IN ({ACTIVE_STATES}) RETURNING id"
)
PENDING = (  # marked, ended, and nothing of its target asked for since
    f"SELECT {FIELDS} FROM runs r WHERE follow_up_version IS NOT NULL"
    f" AND state NOT IN ({ACTIVE_STATES}) AND NOT EXISTS (SELECT 1 FROM runs l"
    " WHERE l.kind = r.kind AND l.target = r.target AND l.id > r.id) ORDER BY id"
)
DROP = "UPDATE runs SET follow_up_version = NULL WHERE id = $1"
LATEST_ACTIVATION = "SELECT max(id) FROM model_version_activations WHERE version_id = $1"


async def activation_key(connection: asyncpg.Connection, version_id: int) -> str:
    """The key of what a version's latest activation starts: once per activation, whoever asks
    (a rollback to a version synced before is an activation of its own)."""
    activation = await connection.fetchval(LATEST_ACTIVATION, version_id)
    suffix = "" if activation is None else f"-{activation}"  # stored before activations were
    return f"model-change-{version_id}{suffix}"


class Starts(Protocol):
    """The job service's starts that a follow-up repeats."""

    closing: bool

    async def start_security_sync(
        self, trigger: str, *, key: str | None, requested_by: str | None, version_id: int | None
    ) -> tuple[Run, bool]: ...

    async def start_or_skip(self, name: str, trigger: str, key: str, by: str) -> int | None: ...


class FollowUps:
    """Marks the run in an activation's way, and starts its follow-up when it ends."""

    def __init__(self, pool: asyncpg.Pool, starts: Starts) -> None:
        self.pool = pool
        self.starts = starts

    async def mark(self, kind: str, target: str, version_id: int) -> int | None:
        """Mark the target's active run to be followed for a version: its id, or None (none)."""
        async with acquire(self.pool) as connection:
            marked = await connection.fetchval(MARK, kind, target, version_id)
        if marked is not None:
            log.info(
                "%s %r: run %s is active; a run follows it when it ends (version %s activated)",
                kind, target, marked, version_id,
            )  # fmt: skip
        return int(marked) if marked is not None else None

    async def start_sync(self, version_id: int, by: str) -> None:
        """The security sync after a version's activation, or a mark on the sync in its way."""
        async with acquire(self.pool) as connection:
            key = await activation_key(connection, version_id)
        for _ in range(ATTEMPTS):
            try:
                await self.starts.start_security_sync(
                    "model-change", key=key, requested_by=by, version_id=version_id
                )
                return
            except ConflictError:
                if await self.mark(SYNC, SYNC, version_id) is not None:
                    return
        log.warning("security sync after activation of %s neither started nor marked", version_id)

    async def follow(self, run: Run) -> None:
        """Start the follow-up of an ended run an activation marked (a stopping service leaves
        it to reconciliation on the next start)."""
        if run.follow_up_version is None or self.starts.closing:
            return
        async with acquire(self.pool) as connection:
            active = await active_version_id(connection)
            if active is None:
                return
            key = await activation_key(connection, int(active))
        try:
            started = await self._start(run, key, int(active))
        except AppError as error:  # e.g. the transformer left the model: nothing to follow
            log.warning("run %s is not followed: %s", run.id, error.detail)
            async with acquire(self.pool) as connection:
                await connection.execute(DROP, run.id)
            return
        if started is not None:
            log.info(
                "%s run %s follows run %s: version %s activated while it ran",
                "security sync" if run.kind == SYNC else f"{run.target}", started, run.id,
                run.follow_up_version,
            )  # fmt: skip

    async def _start(self, run: Run, key: str, active: int) -> int | None:
        """The follow-up's start: the id of the run it made, or None (made before, or skipped)."""
        by = f"run {run.id}"
        if run.kind != SYNC:
            return await self.starts.start_or_skip(run.target, "model-change", key, by)
        try:
            made, created = await self.starts.start_security_sync(
                "model-change", key=key, requested_by=by, version_id=active
            )
        except ConflictError as error:  # a sync asked for since run.id ended plans from it too
            log.info("security sync run %s needs no follow-up: %s", run.id, error.detail)
            return None
        return made.id if created else None

    async def settle(self) -> None:
        """Start the follow-ups whose start was lost: marked runs that ended, nothing after."""
        async with acquire(self.pool) as connection:
            pending = await connection.fetch(PENDING)
        for row in pending:
            await self.follow(Run.from_row(row))
