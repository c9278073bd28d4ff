"""The ingest queue gives typed records: every read is an Ingest, on any kind of connection."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.schemas.ingest import IngestOut
from app.db.engine import driver_connection
from app.db.ingest_table import FINISHED, IngestState
from app.db.urls import asyncpg_dsn
from app.gitsource import queue
from app.gitsource.queue import Ingest

ROW = {
    "id": 7, "trigger": "github", "ref": "main", "commit_sha": None, "delivery_id": "d-1",
    "requested_by": "alice", "state": "queued", "version_id": None, "errors": 0, "warnings": 0,
    "detail": None, "timings": '{"fetch": 0.5}', "retry_of": None, "superseded_by": None,
    "created_at": datetime(2026, 11, 26, tzinfo=UTC), "started_at": None, "finished_at": None,
}  # fmt: skip


def test_the_record_holds_every_column_the_queue_reads_and_the_api_answers() -> None:
    names = [field.name for field in fields(Ingest)]
    assert names == [column.strip() for column in queue.COLUMNS.split(",")]
    assert set(names) == set(IngestOut.model_fields)


def test_a_row_becomes_an_ingest_with_its_state_and_timings_decoded() -> None:
    ingest = Ingest.from_row(ROW)
    assert ingest.state is IngestState.QUEUED and ingest.timings == {"fetch": 0.5}
    assert (ingest.revision, ingest.finished) == ("main", False)
    done = Ingest.from_row({**ROW, "commit_sha": "9fceb02d", "state": "rejected"})
    assert (done.revision, done.finished) == ("9fceb02d", True)
    assert {Ingest.from_row({**ROW, "state": s}).finished for s in FINISHED} == {True}


def test_a_row_in_a_state_no_ingest_has_is_refused() -> None:
    with pytest.raises(ValueError, match="'paused' is not a valid IngestState"):
        Ingest.from_row({**ROW, "state": "paused"})


async def _reads(connection: asyncpg.Connection) -> list[Ingest]:
    """An ingest through every read of the queue: queued, redelivered, got, listed, claimed."""
    first, created = await queue.queue_ingest(
        connection, trigger="gitea", ref="main", delivery_id="d-1", requested_by="alice"
    )
    again, repeated = await queue.queue_ingest(
        connection, trigger="gitea", ref="main", delivery_id="d-1", requested_by="alice"
    )
    assert (created, repeated) == (True, False)
    newer, _ = await queue.queue_ingest(connection, trigger="poll", ref="main", commit_sha="abc")
    before = await queue.queued_before(connection, newer.id)
    listed = await queue.list_ingests(connection, 10, None, IngestState.QUEUED)
    claimed = await queue.claim_newest(connection)
    assert claimed is not None and claimed.state is IngestState.FETCHING
    await queue.advance_timings(connection, claimed.id, {"fetch": 0.25})
    failed = await queue.fail_interrupted(connection)
    assert [i.id for i in failed] == [newer.id] and failed[0].timings == {"fetch": 0.25}
    got = await queue.get_ingest(connection, first.id)
    return [first, again, got, *before, *listed, claimed, *failed]


async def test_every_read_of_the_queue_is_an_ingest_through_the_engine(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as handle:
        reads = await _reads(await driver_connection(handle))
    assert {type(read) for read in reads} == {Ingest}
    assert {type(read.state) for read in reads} == {IngestState}
    assert all(isinstance(read.timings, dict) for read in reads)


async def test_every_read_of_the_queue_is_an_ingest_on_a_bare_connection(
    database_url: str,
) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))  # no jsonb codec
    try:
        reads = await _reads(connection)
    finally:
        await connection.close()
    assert {type(read) for read in reads} == {Ingest}
    assert all(isinstance(read.timings, dict) for read in reads)
    assert reads[0] == reads[1]  # the redelivery gives the ingest the first delivery made
