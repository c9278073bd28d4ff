"""A later snapshot compared with the current rows as text (app/ingestion/snapshot.py): only the
rows that differ are staged; a source that prints otherwise is staged whole; failures mid-stream
leave the warehouse as it was."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest

from app.ecosystem.spec.datastore import Milestoning
from app.ingestion import compare, snapshot
from app.ingestion.snapshot import staged_why
from app.ingestion.source import PostgresReader
from app.ingestion.streams import streaming
from app.ingestion.tables import IngestionError, RawColumn, RawTable
from tests.ingestion.conftest import COLUMNS, RAW, Source, batch_after_change, run_batch

ISO = {"DateStyle": "ISO, MDY", "IntervalStyle": "postgres", "extra_float_digits": "1"}


@pytest.fixture
def comparisons(monkeypatch: pytest.MonkeyPatch) -> list[compare.Found]:
    """What each comparison of a snapshot found."""
    found: list[compare.Found] = []

    class Recorded(compare.Comparison):
        async def run(self, *streams: Any) -> compare.Found:
            found.append(await super().run(*streams))
            return found[-1]

    monkeypatch.setattr(snapshot, "Comparison", Recorded)
    return found


@pytest.fixture
def staged(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tables each batch streamed whole from its source (a first batch, or staged rows)."""
    tables: list[str] = []
    copy = PostgresReader.copy

    async def recorded(self: PostgresReader, table: RawTable, *args: Any) -> int:
        tables.append(table.name)
        return await copy(self, table, *args)

    monkeypatch.setattr(PostgresReader, "copy", recorded)
    return tables


@asynccontextmanager
async def _reader_set(source: Source, *settings: str) -> AsyncIterator[None]:
    """The source's reader role with these session settings (`name = value`) for the block."""
    reader = source.login.user
    await source.admin.execute("".join(f'ALTER ROLE "{reader}" SET {s};' for s in settings))
    try:
        yield
    finally:
        await source.admin.execute(f'ALTER ROLE "{reader}" RESET ALL')


async def test_a_later_snapshot_stages_only_the_rows_that_differ(
    source: Source,
    warehouse: asyncpg.Connection,
    control: asyncpg.Connection,
    comparisons: list[compare.Found],
    staged: list[str],
) -> None:
    batch, before, after = await batch_after_change(
        control,
        warehouse,
        source,
        "UPDATE crm_customers SET balance = 0 WHERE id IN (3, 50);"
        "DELETE FROM crm_customers WHERE id IN (1, 100);"
        "INSERT INTO crm_customers VALUES (0, 'zero', 0, 'x'), (500, 'late', 0, 'x')",
    )
    assert staged == ["customers__customers"]  # the first batch only
    assert comparisons == [compare.Found(rows=100, candidates=4, vanished=2)]
    assert (batch.inserted, batch.updated, batch.deleted, batch.unchanged) == (2, 2, 2, 96)
    assert {k for k in after if before.get(k) != after[k]} == {0, 3, 50, 500}
    assert before.keys() - after.keys() == {1, 100}


async def test_the_warehouse_prints_the_current_rows_as_the_source_prints_its_own(
    source: Source,
    warehouse: asyncpg.Connection,
    control: asyncpg.Connection,
    comparisons: list[compare.Found],
) -> None:
    store = source.store(
        milestoning="forensic", columns=COLUMNS + "        - {name: seen_at, type: timestamptz}\n"
    )
    await source.admin.execute(
        "ALTER TABLE crm_customers ADD seen_at timestamptz;"
        "UPDATE crm_customers SET seen_at = timestamptz '2026-03-29 00:30+00' + id * interval '1 h'"
    )
    await run_batch(control, warehouse, store, source.login)
    await source.admin.execute(
        "UPDATE crm_customers SET seen_at = seen_at + interval '1 s' WHERE id = 9"
    )
    # a zone and a style the warehouse's sessions do not have
    printing = ("TimeZone = 'Asia/Kathmandu'", "DateStyle = 'ISO, DMY'", "extra_float_digits = 3")
    async with _reader_set(source, *printing):
        batch = await run_batch(control, warehouse, store, source.login)
    assert comparisons == [compare.Found(rows=100, candidates=1, vanished=0)]
    assert (batch.updated, batch.unchanged) == (1, 99)
    zone = await warehouse.fetchval("SELECT current_setting('TimeZone')")
    assert zone != "Asia/Kathmandu"  # the batch's printing was its transaction's only
    versions = await warehouse.fetch(
        f"SELECT seen_at, ecoplane_batch_out FROM {RAW} WHERE id = 9 ORDER BY ecoplane_batch_in"
    )
    assert [v[1] for v in versions] == [2, None]
    assert (versions[1][0] - versions[0][0]).total_seconds() == 1


async def test_a_source_that_prints_floats_inexactly_is_staged_whole(
    source: Source,
    warehouse: asyncpg.Connection,
    control: asyncpg.Connection,
    comparisons: list[compare.Found],
    staged: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = source.store()
    await run_batch(control, warehouse, store, source.login)
    await source.admin.execute("UPDATE crm_customers SET email = 'new' WHERE id = 4")
    async with _reader_set(source, "extra_float_digits = 0"):
        with caplog.at_level(logging.INFO, logger="app.ingestion.batch"):
            batch = await run_batch(control, warehouse, store, source.login)
    assert comparisons == [] and staged == ["customers__customers"] * 2
    assert (batch.updated, batch.unchanged) == (1, 99)
    (said,) = [r for r in caplog.records if "staged whole" in r.getMessage()]
    assert said.getMessage() == (
        "snapshot of Customers.customers staged whole: its source prints floats inexactly"
        " (extra_float_digits 0)"
    )
    ids = {k: said.__dict__[k] for k in ("datastore", "dataset", "batch")}
    assert ids == {"datastore": "Customers", "dataset": "customers", "batch": 2}


async def test_a_bad_key_met_while_the_current_rows_still_stream_rolls_the_batch_back(
    source: Source, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    store = source.store()
    await source.admin.execute(
        "INSERT INTO crm_customers SELECT i, 'c' || i, i, 'x' FROM generate_series(101, 100000) i"
    )
    await run_batch(control, warehouse, store, source.login)
    checksum = f"SELECT count(*), sum(hashtext(t::text)) FROM {RAW} t"
    before = await warehouse.fetchrow(checksum)
    await source.admin.execute(  # key 2 twice: found among the first rows of 100,000
        "ALTER TABLE crm_customers DROP CONSTRAINT crm_customers_pkey;"
        "INSERT INTO crm_customers VALUES (2, 'again', 0, 'x');"
        "UPDATE crm_customers SET email = 'late' WHERE id = 99999"
    )
    with pytest.raises(IngestionError, match=r"a snapshot holds a key twice: Key \(id\)=\(2\)"):
        await run_batch(control, warehouse, store, source.login)
    assert await warehouse.fetchrow(checksum) == before
    await source.admin.execute("DELETE FROM crm_customers WHERE email = 'again'")
    batch = await run_batch(control, warehouse, store, source.login)  # the same connection
    assert (batch.updated, batch.unchanged, batch.inserted, batch.deleted) == (1, 99999, 0, 0)


async def test_candidates_beyond_the_memory_kept_spill_to_a_file(
    source: Source,
    warehouse: asyncpg.Connection,
    control: asyncpg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = source.store()
    await run_batch(control, warehouse, store, source.login)
    monkeypatch.setattr(snapshot, "SPOOL_BYTES", 256)
    monkeypatch.setattr(snapshot, "PIECE", 100)
    await source.admin.execute(
        "UPDATE crm_customers SET balance = balance + 1 WHERE id > 10; DELETE FROM crm_customers"
        " WHERE id <= 10"
    )
    batch = await run_batch(control, warehouse, store, source.login)
    assert (batch.updated, batch.deleted, batch.unchanged) == (90, 10, 0)
    assert await warehouse.fetchval(f"SELECT sum(balance) FROM {RAW}") == sum(
        i * 1.5 + 1 for i in range(11, 101)
    )


def _table(key_type: str) -> RawTable:
    columns = (
        RawColumn("id", "id", key_type, False, True),
        RawColumn("v", "v", "real", True, False),
    )
    return RawTable("S", "d", "s__d", "d", columns, Milestoning.LIVE)


@pytest.mark.parametrize(
    ("key_type", "printing", "why"),
    [
        ("bigint", ISO, None),
        ("integer", ISO | {"DateStyle": "ISO, DMY", "extra_float_digits": "3"}, None),
        ("text", ISO, "its key is not made of integers"),  # ordered by collations
        ("uuid", ISO, "its key is not made of integers"),
        ("bigint", None, "its source does not print values as the warehouse does"),  # MySQL
        (
            "bigint",
            ISO | {"extra_float_digits": "0"},  # two floats could print alike
            "its source prints floats inexactly (extra_float_digits 0)",
        ),
        (
            "bigint",
            ISO | {"DateStyle": "SQL, DMY"},
            "its source prints dates as 'SQL, DMY', not ISO",
        ),
        (
            "bigint",
            ISO | {"IntervalStyle": "iso_8601"},
            "its source prints intervals as 'iso_8601'",
        ),
    ],
)
def test_a_snapshot_is_compared_only_where_equal_text_is_equal_values(
    key_type: str, printing: dict[str, str] | None, why: str | None
) -> None:
    assert staged_why(_table(key_type), printing) == why


async def test_a_stream_left_early_reads_its_copy_to_the_end_and_drops_the_rest() -> None:
    sent: list[int] = []

    async def copy(put: Callable[[bytes], Any]) -> None:
        for i in range(1000):
            await put(b"x" * 70_000)  # more than the chunks in flight
            sent.append(i)

    async with asyncio.timeout(30):  # a guard against a hang, not a measure
        async with streaming(copy, "reading failed") as chunks:
            assert await anext(chunks) == b"x" * 70_000
            while len(sent) < 17:  # the chunks in flight, and the one put since: it waits again
                await asyncio.sleep(0)
    assert len(sent) == 1000  # not cancelled: asyncpg could wait for ever for its cancel


async def test_a_source_stream_left_early_is_abandoned_not_read_to_its_end() -> None:
    sent: list[int] = []
    gone = asyncio.Event()

    async def copy(put: Callable[[bytes], Any]) -> None:
        for i in range(1000):
            if gone.is_set():  # as asyncpg's COPY fails once its connection is terminated
                raise ConnectionResetError("the connection was terminated")
            await put(b"x" * 70_000)
            sent.append(i)

    async with asyncio.timeout(30):  # a guard against a hang, not a measure
        async with streaming(copy, "reading the source failed", gone.set) as chunks:
            assert await anext(chunks) == b"x" * 70_000
    assert gone.is_set() and len(sent) < 1000
