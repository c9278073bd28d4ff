"""What a batch starts: the readers' onInputChange transformers, only when it changed rows."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import StoredVersion, store_model
from app.db.engine import create_pool
from app.ingestion import batches
from app.ingestion.batches import BatchResult
from app.ingestion.followup import AfterBatch
from app.ingestion.merge import Counts
from app.jobs.pooled import acquire
from app.jobs.runs import FIELDS, Run
from tests.ingestion.conftest import Source
from tests.ingestion.runs import READER, ingested_model


@pytest.fixture
async def stored(source: Source, engine: AsyncEngine) -> StoredVersion:
    """The model with Customers ingested and read by MaskCustomers (on input change), active."""
    return await store_model(engine, ingested_model(source), source="followup-test")


@pytest.fixture
async def pool(database_url: str, stored: StoredVersion) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the control-plane database."""
    created = await create_pool(database_url)
    yield created
    await created.close()


async def _ended_run(
    pool: asyncpg.Pool, version: int, counts: Counts | None, state: str = "succeeded"
) -> Run:
    """An ended ingestion run of Customers whose batch did `counts` (failed when None)."""
    async with acquire(pool) as connection:
        row = await connection.fetchrow(
            "INSERT INTO runs (kind, target, version_id, trigger, state) VALUES"
            f" ('ingestion', 'Customers', $1, 'manual', $2) RETURNING {FIELDS}",
            version,
            state,
        )
        assert row is not None
        batch = await batches.start_batch(
            connection, "Customers", "sql-snapshot", "live", row["id"]
        )
        if counts is None:
            await batches.fail_batch(connection, batch.id, "the source went away")
        else:
            await batches.finish_batch(connection, batch.id, BatchResult({"customers": counts}))
    return Run.from_row(row)


async def test_a_batch_that_changed_rows_starts_the_readers(
    pool: asyncpg.Pool, stored: StoredVersion
) -> None:
    started: list[tuple[str, str, str, str]] = []

    async def start(name: str, trigger: str, key: str, by: str) -> int | None:
        started.append((name, trigger, key, by))
        return None

    follow = AfterBatch(pool, start)
    changed = await _ended_run(pool, stored.id, Counts(deleted=1, unchanged=9))
    await follow.after(changed)
    assert started == [(READER, "input-change", f"after-run-{changed.id}", f"run {changed.id}")]


@pytest.mark.parametrize(
    ("counts", "state"),
    [(Counts(unchanged=10), "succeeded"), (None, "succeeded"), (Counts(inserted=3), "failed")],
    ids=["unchanged", "batch-failed", "run-failed"],
)
async def test_nothing_follows_a_batch_that_changed_nothing_or_failed(
    pool: asyncpg.Pool, stored: StoredVersion, counts: Counts | None, state: str
) -> None:
    started: list[str] = []

    async def start(name: str, trigger: str, key: str, by: str) -> int | None:
        started.append(name)
        return None

    await AfterBatch(pool, start).after(await _ended_run(pool, stored.id, counts, state))
    assert started == []
