"""Run records: create (one active per kind and target, by the database), move, finish, read.

Every function runs one statement on its own (autocommit): a run row is committed before any
runner sees it. State changes only ever leave an active state (queued, running) once: the
first writer of a final state wins, so a cancel and a finished Job cannot overwrite each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from app.db.run_table import ACTIVE_STATES, FINAL, RunKind, RunState
from app.errors import ConflictError, NotFoundError
from app.jobs import run_events
from app.jobs.run_lineage import RunLineage
from app.jobs.runners.base import Outcome

FIELDS = (
    "id, kind, target, version_id, trigger, state, attempts, runner_ref, exit_code, reason,"
    " log_tail, idempotency_key, requested_by, created_at, started_at, finished_at,"
    " follow_up_version"
)
RUN_FIELDS = ", ".join(f"r.{field.strip()}" for field in FIELDS.split(","))  # FIELDS of `runs r`


@dataclass(frozen=True, slots=True)
class Run:
    """One run as recorded: what, why, by whom, where it is, and how it ended."""

    id: int
    kind: RunKind
    target: str
    version_id: int | None
    trigger: str
    state: RunState
    attempts: int
    runner_ref: str | None
    exit_code: int | None
    reason: str | None
    log_tail: str | None
    idempotency_key: str | None
    requested_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    follow_up_version: int | None = None  # a security sync: a version activated while it ran

    @classmethod
    def from_row(cls, row: asyncpg.Record | Mapping[str, Any]) -> Run:
        """The run of a row of FIELDS."""
        return cls(
            **{**dict(row.items()), "kind": RunKind(row["kind"]), "state": RunState(row["state"])}
        )

    @property
    def ended(self) -> bool:
        """Whether it reached a final state."""
        return self.state in FINAL


@dataclass(frozen=True, slots=True)
class RunRequest:
    """What is asked to run, why, and by whom."""

    kind: RunKind
    target: str
    trigger: str
    version_id: int | None = None
    idempotency_key: str | None = None
    requested_by: str | None = None


@dataclass(frozen=True, slots=True)
class RunFilter:
    """The filters of GET /runs; None means no filter."""

    kind: str | None = None
    target: str | None = None
    state: RunState | None = None


async def create_run(connection: asyncpg.Connection, request: RunRequest) -> tuple[Run, bool]:
    """A queued run, or the run an earlier request with the same key made (then False).

    Raises ConflictError naming the active run when the target already has one.
    """
    if request.idempotency_key is not None:
        earlier = await _by_key(connection, request)
        if earlier is not None:
            return earlier, False
    try:
        row = await connection.fetchrow(
            "INSERT INTO runs (kind, target, version_id, trigger, state, idempotency_key,"
            f" requested_by) VALUES ($1, $2, $3, $4, 'queued', $5, $6) RETURNING {FIELDS}",
            request.kind, request.target, request.version_id, request.trigger,
            request.idempotency_key, request.requested_by,
        )  # fmt: skip
    except asyncpg.UniqueViolationError as error:
        if error.constraint_name == "run_idempotency_key":  # the same key, a moment earlier
            earlier = await _by_key(connection, request)
            if earlier is not None:
                return earlier, False
        raise await active_conflict(connection, request.kind, request.target) from error
    assert row is not None
    return Run.from_row(row), True


async def _by_key(connection: asyncpg.Connection, request: RunRequest) -> Run | None:
    row = await connection.fetchrow(
        f"SELECT {FIELDS} FROM runs WHERE kind = $1 AND target = $2 AND idempotency_key = $3",
        request.kind, request.target, request.idempotency_key,
    )  # fmt: skip
    return Run.from_row(row) if row else None


async def active_conflict(connection: asyncpg.Connection, kind: str, target: str) -> ConflictError:
    active = await connection.fetchrow(
        f"SELECT id, state FROM runs WHERE kind = $1 AND target = $2 AND state IN ({ACTIVE_STATES})",
        kind, target,
    )  # fmt: skip
    which = f"run {active['id']} is {active['state']}" if active else "another run is active"
    return ConflictError(f"{kind} {target!r} already has an active run: {which}")


async def record_skipped(connection: asyncpg.Connection, request: RunRequest, why: str) -> Run:
    """Record a start that was refused because a run was active (a cancelled run saying why)."""
    row = await connection.fetchrow(
        "INSERT INTO runs (kind, target, version_id, trigger, state, reason, requested_by,"
        f" finished_at) VALUES ($1, $2, $3, $4, 'cancelled', $5, $6, now()) RETURNING {FIELDS}",
        request.kind, request.target, request.version_id, request.trigger,
        f"skipped: {why}", request.requested_by,
    )  # fmt: skip
    assert row is not None
    return Run.from_row(row)


async def get_run(connection: asyncpg.Connection, run_id: int) -> Run:
    """One run; NotFoundError when there is none."""
    row = await connection.fetchrow(f"SELECT {FIELDS} FROM runs WHERE id = $1", run_id)
    if row is None:
        raise NotFoundError(f"run {run_id} does not exist")
    return Run.from_row(row)


async def list_runs(
    connection: asyncpg.Connection, where: RunFilter, before: int | None, limit: int
) -> list[Run]:
    """Runs newest first, before a run id (limit+1 rows)."""
    rows = await connection.fetch(
        f"SELECT {FIELDS} FROM runs WHERE ($1::text IS NULL OR kind = $1)"
        " AND ($2::text IS NULL OR target = $2) AND ($3::text IS NULL OR state = $3)"
        " AND ($4::bigint IS NULL OR id < $4) ORDER BY id DESC LIMIT $5",
        where.kind, where.target, where.state, before, limit + 1,
    )  # fmt: skip
    return [Run.from_row(row) for row in rows]


async def set_reference(connection: asyncpg.Connection, run_id: int, reference: str) -> bool:
    """Note the runner's handle before starting it; False when the run is no longer active."""
    return run_id in await set_references(connection, [(run_id, reference)])


async def set_references(
    connection: asyncpg.Connection, references: list[tuple[int, str]]
) -> set[int]:
    """Note the handles of several runs (one statement); the ids of those still active."""
    rows = await connection.fetch(
        "UPDATE runs r SET runner_ref = u.ref FROM unnest($1::bigint[], $2::text[]) AS u(id, ref)"
        f" WHERE r.id = u.id AND r.state IN ({ACTIVE_STATES}) RETURNING r.id",
        [run_id for run_id, _ in references], [ref for _, ref in references],
    )  # fmt: skip
    return {row["id"] for row in rows}


async def mark_running(
    connection: asyncpg.Connection, run_id: int, reference: str, attempts: int = 1
) -> bool:
    """The runner started it; False when it was cancelled meanwhile (then stop it again)."""
    return run_id in await mark_many_running(connection, [(run_id, reference, attempts)])


async def mark_many_running(
    connection: asyncpg.Connection,
    starts: list[tuple[int, str, int]],
    lineage: RunLineage | None = None,
) -> set[int]:
    """Runs the runner started: (id, handle, attempts) each; the ids not cancelled meanwhile.
    With a lineage, their OpenLineage START goes in the same transaction."""
    if lineage is not None:
        await lineage.prepare(connection, [run_id for run_id, _, _ in starts])
    async with connection.transaction():  # run.started in the same transaction
        rows = await connection.fetch(
            "UPDATE runs r SET state = 'running', runner_ref = u.ref, attempts = u.attempts,"
            " started_at = coalesce(r.started_at, now())"
            " FROM unnest($1::bigint[], $2::text[], $3::int[]) AS u(id, ref, attempts)"
            f" WHERE r.id = u.id AND r.state IN ({ACTIVE_STATES}) AND r.state <> 'running'"
            f" RETURNING {RUN_FIELDS}",
            *map(list, zip(*starts, strict=True)),
        )  # fmt: skip
        await run_events.started(connection, [Run.from_row(row) for row in rows], lineage)
        # a run already running (a restarted attempt) is started again without a second event
        rerun = [] if len(rows) == len(starts) else await connection.fetch(
            "UPDATE runs r SET runner_ref = u.ref, attempts = u.attempts"
            " FROM unnest($1::bigint[], $2::text[], $3::int[]) AS u(id, ref, attempts)"
            " WHERE r.id = u.id AND r.state = 'running' AND NOT r.id = ANY($4::bigint[])"
            " RETURNING r.id",
            *map(list, zip(*starts, strict=True)), [row["id"] for row in rows],
        )  # fmt: skip
    return {row["id"] for row in rows} | {row["id"] for row in rerun}


async def finish_run(
    connection: asyncpg.Connection,
    run_id: int,
    outcome: Outcome,
    lineage: RunLineage | None = None,
) -> Run | None:
    """Record how it ended (an Outcome); None when it had already ended (e.g. cancelled)."""
    return (await finish_runs(connection, [(run_id, outcome)], lineage)).get(run_id)


async def finish_runs(
    connection: asyncpg.Connection,
    ends: list[tuple[int, Outcome]],
    lineage: RunLineage | None = None,
) -> dict[int, Run]:
    """Record how runs ended (one statement); per run it recorded, its row (first end per id)."""
    first = dict(reversed(ends))  # a run ends once: its first outcome here is the one sent
    if lineage is not None:
        await lineage.prepare(connection, list(first))
    async with connection.transaction():  # run.succeeded / run.failed in the same transaction
        rows = await _finish(connection, first)
        finished = [Run.from_row(row) for row in rows]
        await run_events.ended(connection, finished, lineage)
    return {run.id: run for run in finished}


async def _finish(
    connection: asyncpg.Connection, first: dict[int, Outcome]
) -> list[asyncpg.Record]:
    return await connection.fetch(
        "UPDATE runs r SET state = u.state, exit_code = u.exit_code, reason = u.reason,"
        " log_tail = u.log_tail, attempts = greatest(r.attempts, u.attempts), finished_at = now()"
        " FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::text[], $6::int[])"
        " AS u(id, state, exit_code, reason, log_tail, attempts)"
        f" WHERE r.id = u.id AND r.state IN ({ACTIVE_STATES}) RETURNING {RUN_FIELDS}",
        list(first), [o.state for o in first.values()], [o.exit_code for o in first.values()],
        [o.reason for o in first.values()], [o.log_tail for o in first.values()],
        [o.attempts for o in first.values()],
    )  # fmt: skip


async def cancel_run(
    connection: asyncpg.Connection, run_id: int, lineage: RunLineage | None = None
) -> Run:
    """Mark an active run cancelled; ConflictError when it has already ended. With a lineage, a
    run that had started sends its OpenLineage FAIL in the same transaction."""
    if lineage is not None:
        await lineage.prepare(connection, [run_id])
    async with connection.transaction():
        row = await connection.fetchrow(
            "UPDATE runs SET state = 'cancelled', reason = 'cancelled on request',"
            f" finished_at = now() WHERE id = $1 AND state IN ({ACTIVE_STATES}) RETURNING {FIELDS}",
            run_id,
        )
        if row is not None and lineage is not None:
            await lineage.ended(connection, [Run.from_row(row)])
    if row is None:
        found = await get_run(connection, run_id)
        raise ConflictError(f"run {run_id} has already ended: it is {found.state}")
    return Run.from_row(row)


async def active_runs(connection: asyncpg.Connection) -> list[Run]:
    """Every queued or running run, oldest first."""
    rows = await connection.fetch(
        f"SELECT {FIELDS} FROM runs WHERE state IN ({ACTIVE_STATES}) ORDER BY id"
    )
    return [Run.from_row(row) for row in rows]


def last_run_of(transformer: str) -> str:
    """The query of the newest run of a transformer (of whatever kind its code is): FIELDS of at
    most one row; `transformer` is the SQL of its name (a parameter, or a column)."""
    return (
        f"SELECT {FIELDS} FROM runs WHERE target = {transformer}"
        f" AND kind <> '{RunKind.SECURITY_SYNC}' ORDER BY id DESC LIMIT 1"
    )
