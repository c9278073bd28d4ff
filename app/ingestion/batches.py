"""Batch records in the control-plane database: started, finished or failed, listed."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from app.db.batch_table import BatchState
from app.ingestion.merge import Counts

FIELDS = (
    "id, datastore, number, run_id, kind, milestoning, state, inserted, updated, deleted,"
    " unchanged, watermarks, tables, read_seconds, merge_seconds, reason, started_at, finished_at"
)


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """One batch as recorded."""

    id: int
    datastore: str
    number: int
    run_id: int | None
    kind: str
    milestoning: str
    state: BatchState
    inserted: int
    updated: int
    deleted: int
    unchanged: int
    watermarks: dict[str, str] | None
    tables: dict[str, dict[str, int]] | None
    read_seconds: float | None
    merge_seconds: float | None
    reason: str | None
    started_at: datetime
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: asyncpg.Record | Mapping[str, Any]) -> BatchRecord:
        """The batch of a row of FIELDS (jsonb as text or decoded)."""
        values = dict(row.items())
        for key in ("watermarks", "tables"):
            if isinstance(values[key], str):
                values[key] = json.loads(values[key])
        return cls(**{**values, "state": BatchState(values["state"])})


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What a committed batch did: counts per dataset, watermarks reached, timings."""

    tables: dict[str, Counts]
    watermarks: dict[str, str] = field(default_factory=dict)
    read_seconds: float = 0.0
    merge_seconds: float = 0.0

    @property
    def counts(self) -> Counts:
        """The counts of every dataset together."""
        return sum(self.tables.values(), Counts())


async def start_batch(
    connection: asyncpg.Connection, datastore: str, kind: str, milestoning: str, run_id: int | None
) -> BatchRecord:
    """Record the datastore's next batch as running."""
    row = await connection.fetchrow(
        "INSERT INTO batches (datastore, number, run_id, kind, milestoning, state) VALUES"
        " ($1, coalesce((SELECT max(number) FROM batches WHERE datastore = $1), 0) + 1,"
        f" $2, $3, $4, 'running') RETURNING {FIELDS}",
        datastore,
        run_id,
        kind,
        milestoning,
    )
    assert row is not None
    return BatchRecord.from_row(row)


async def finish_batch(connection: asyncpg.Connection, batch_id: int, result: BatchResult) -> None:
    """Record a committed batch: its counts, watermarks and timings."""
    total = result.counts
    tables = {name: vars_of(counts) for name, counts in result.tables.items()}
    await connection.execute(
        "UPDATE batches SET state = 'succeeded', inserted = $2, updated = $3, deleted = $4,"
        " unchanged = $5, watermarks = $6::jsonb, tables = $7::jsonb, read_seconds = $8,"
        " merge_seconds = $9, finished_at = now() WHERE id = $1",
        batch_id,
        total.inserted,
        total.updated,
        total.deleted,
        total.unchanged,
        json.dumps(result.watermarks),
        json.dumps(tables),
        result.read_seconds,
        result.merge_seconds,
    )


def vars_of(counts: Counts) -> dict[str, int]:
    """Counts as a JSON object."""
    return {
        "inserted": counts.inserted,
        "updated": counts.updated,
        "deleted": counts.deleted,
        "unchanged": counts.unchanged,
    }


async def fail_batch(connection: asyncpg.Connection, batch_id: int, reason: str) -> None:
    """Record a failed batch and why (the warehouse kept nothing of it)."""
    await connection.execute(
        "UPDATE batches SET state = 'failed', reason = $2, finished_at = now() WHERE id = $1",
        batch_id,
        reason,
    )


async def last_watermarks(connection: asyncpg.Connection, datastore: str) -> dict[str, str]:
    """The watermark each dataset reached, as the latest succeeded batch carries them."""
    value = await connection.fetchval(
        "SELECT watermarks FROM batches WHERE datastore = $1 AND state = 'succeeded'"
        " ORDER BY number DESC LIMIT 1",
        datastore,
    )
    found: dict[str, str] = json.loads(value) if isinstance(value, str) else (value or {})
    return found


async def list_batches(
    connection: asyncpg.Connection, datastore: str, limit: int, offset: int
) -> tuple[list[BatchRecord], int]:
    """A page of a datastore's batches, newest first, and how many there are."""
    rows = await connection.fetch(
        f"SELECT {FIELDS}, count(*) OVER () AS total FROM batches WHERE datastore = $1"
        " ORDER BY number DESC LIMIT $2 OFFSET $3",
        datastore,
        limit,
        offset,
    )
    total = (
        rows[0]["total"]
        if rows
        else await connection.fetchval(
            "SELECT count(*) FROM batches WHERE datastore = $1", datastore
        )
    )
    return [BatchRecord.from_row({k: v for k, v in r.items() if k != "total"}) for r in rows], total


async def changed_rows(connection: asyncpg.Connection, run_id: int) -> int:
    """The rows a run's committed batch inserted, updated or deleted (0 without one)."""
    changed = await connection.fetchval(
        "SELECT coalesce(sum(inserted + updated + deleted), 0) FROM batches"
        " WHERE run_id = $1 AND state = 'succeeded'",
        run_id,
    )
    return int(changed)


async def batches_before(
    connection: asyncpg.Connection, datastore: str, before: int | None, limit: int
) -> list[BatchRecord]:
    """A datastore's batches newest first, before a batch number (limit+1 rows: a page)."""
    rows = await connection.fetch(
        f"SELECT {FIELDS} FROM batches WHERE datastore = $1"
        " AND ($2::bigint IS NULL OR number < $2) ORDER BY number DESC LIMIT $3",
        datastore,
        before,
        limit + 1,
    )
    return [BatchRecord.from_row(row) for row in rows]


async def fail_abandoned(connection: asyncpg.Connection, run_id: int, reason: str) -> list[int]:
    """Record as failed the batches a run left `running` (its worker died); their numbers."""
    rows = await connection.fetch(
        "UPDATE batches SET state = 'failed', reason = $2, finished_at = now()"
        " WHERE run_id = $1 AND state = 'running' RETURNING number",
        run_id,
        reason,
    )
    return [row["number"] for row in rows]
