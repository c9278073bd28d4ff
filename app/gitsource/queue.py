"""The ingest queue in Postgres: requests recorded, listed, claimed one at a time, finished."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from app.db.ingest_table import FINISHED, RUNNING, IngestState
from app.errors import NotFoundError

COLUMNS = (
    "id, trigger, ref, commit_sha, delivery_id, requested_by, state, version_id, errors, warnings,"
    " detail, timings, retry_of, superseded_by, created_at, started_at, finished_at"
)
RUNNING_STATES = [state.value for state in RUNNING]
INTERRUPTED = "interrupted: the process running this ingest stopped before it finished"


@dataclass(frozen=True, slots=True)
class Ingest:
    """One request to ingest a commit as recorded: what, why, by whom, how far it got."""

    id: int
    trigger: str
    ref: str
    commit_sha: str | None
    delivery_id: str | None
    requested_by: str | None
    state: IngestState
    version_id: int | None
    errors: int
    warnings: int
    detail: str | None
    timings: dict[str, float]
    retry_of: int | None
    superseded_by: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: asyncpg.Record | Mapping[str, Any]) -> Ingest:
        """The ingest of a row of COLUMNS."""
        timings = row["timings"]
        if isinstance(timings, str):  # a bare connection has no jsonb codec
            timings = json.loads(timings)
        return cls(**{**dict(row.items()), "state": IngestState(row["state"]), "timings": timings})

    @property
    def finished(self) -> bool:
        """Whether it reached a final state."""
        return self.state in FINISHED

    @property
    def revision(self) -> str:
        """The commit it names: the sha when known, else the ref asked for."""
        return self.commit_sha or self.ref


async def queue_ingest(
    connection: asyncpg.Connection,
    *,
    trigger: str,
    ref: str,
    commit_sha: str | None = None,
    delivery_id: str | None = None,
    requested_by: str | None = None,
    retry_of: int | None = None,
) -> tuple[Ingest, bool]:
    """Record an ingest request; a delivery seen before gives the ingest it made and False."""
    record = await connection.fetchrow(
        f"INSERT INTO ingests (trigger, ref, commit_sha, delivery_id, requested_by, state, retry_of)"
        f" VALUES ($1, $2, $3, $4, $5, 'queued', $6)"
        f" ON CONFLICT (trigger, delivery_id) WHERE delivery_id IS NOT NULL DO NOTHING"
        f" RETURNING {COLUMNS}",
        trigger, ref, commit_sha, delivery_id, requested_by, retry_of,
    )  # fmt: skip
    if record is not None:
        return Ingest.from_row(record), True
    existing = await connection.fetchrow(
        f"SELECT {COLUMNS} FROM ingests WHERE trigger = $1 AND delivery_id = $2",
        trigger,
        delivery_id,
    )
    assert existing is not None  # the conflicting row: ingests are never deleted
    return Ingest.from_row(existing), False


async def get_ingest(connection: asyncpg.Connection, ingest_id: int) -> Ingest:
    """One ingest."""
    record = await connection.fetchrow(f"SELECT {COLUMNS} FROM ingests WHERE id = $1", ingest_id)
    if record is None:
        raise NotFoundError(f"ingest {ingest_id} does not exist")
    return Ingest.from_row(record)


async def list_ingests(
    connection: asyncpg.Connection,
    limit: int,
    before: int | None,
    state: IngestState | None = None,
) -> list[Ingest]:
    """Ingests, newest first, below an id (for paging), optionally in one state."""
    records = await connection.fetch(
        f"SELECT {COLUMNS} FROM ingests WHERE ($1::bigint IS NULL OR id < $1)"
        f" AND ($2::text IS NULL OR state = $2) ORDER BY id DESC LIMIT $3",
        before,
        state,
        limit,
    )
    return [Ingest.from_row(r) for r in records]


async def claim_newest(connection: asyncpg.Connection) -> Ingest | None:
    """Take the newest queued ingest: it moves to `fetching`. Call holding the worker lock."""
    record = await connection.fetchrow(
        f"UPDATE ingests SET state = 'fetching', started_at = now() WHERE id = ("
        f"  SELECT id FROM ingests WHERE state = 'queued' ORDER BY id DESC LIMIT 1"
        f"  FOR UPDATE SKIP LOCKED) RETURNING {COLUMNS}"
    )
    return Ingest.from_row(record) if record is not None else None


async def advance(
    connection: asyncpg.Connection, ingest_id: int, state: IngestState, **values: Any
) -> None:
    """Move an ingest to a state, setting the given columns too."""
    names = list(values)
    assignments = "".join(f", {name} = ${i}" for i, name in enumerate(names, start=3))
    finished = ", finished_at = now()" if state not in (IngestState.QUEUED, *RUNNING) else ""
    await connection.execute(
        f"UPDATE ingests SET state = $2{assignments}{finished} WHERE id = $1",
        ingest_id,
        state.value,
        *(json.dumps(v) if name == "timings" else v for name, v in values.items()),
    )


async def supersede(connection: asyncpg.Connection, ids: list[int], by: int) -> None:
    """Mark queued ingests as replaced by the ingest of a newer commit."""
    await connection.execute(
        "UPDATE ingests SET state = 'superseded', superseded_by = $2::bigint, finished_at = now(),"
        " detail = 'a newer commit was requested: ingest ' || $2::bigint"
        " WHERE id = ANY($1::bigint[]) AND state = 'queued'",
        ids,
        by,
    )


async def queued_before(connection: asyncpg.Connection, ingest_id: int) -> list[Ingest]:
    """Ingests still queued that were requested before this one."""
    records = await connection.fetch(
        f"SELECT {COLUMNS} FROM ingests WHERE state = 'queued' AND id < $1 ORDER BY id", ingest_id
    )
    return [Ingest.from_row(r) for r in records]


async def fail_interrupted(connection: asyncpg.Connection) -> list[Ingest]:
    """Mark ingests left running by a stopped worker as failed; return them. Hold the worker lock."""
    records = await connection.fetch(
        f"UPDATE ingests SET state = 'failed', detail = $2, finished_at = now()"
        f" WHERE state = ANY($1::text[]) RETURNING {COLUMNS}",
        RUNNING_STATES,
        INTERRUPTED,
    )
    return [Ingest.from_row(r) for r in sorted(records, key=lambda r: r["id"])]


async def newest_id(connection: asyncpg.Connection) -> int:
    """The id of the newest ingest (0 when there is none)."""
    found: int = await connection.fetchval("SELECT coalesce(max(id), 0) FROM ingests")
    return found


async def active_commits(connection: asyncpg.Connection) -> set[str]:
    """The commits recorded against the active model version."""
    rows = await connection.fetch(
        "SELECT v.commit_sha AS a, c.commit_sha AS b FROM model_versions v"
        " LEFT JOIN model_version_commits c ON c.version_id = v.id WHERE v.state = 'active'"
    )
    return {sha for row in rows for sha in (row["a"], row["b"]) if sha}


async def advance_timings(
    connection: asyncpg.Connection, ingest_id: int, timings: dict[str, float]
) -> None:
    """Record the seconds each phase of an ingest took (to the millisecond)."""
    seconds = {phase: round(value, 3) for phase, value in timings.items()}
    await connection.execute(
        "UPDATE ingests SET timings = $2 WHERE id = $1", ingest_id, json.dumps(seconds)
    )
