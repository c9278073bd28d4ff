"""Forensic milestoning keeps every version; sql-watermark reads rows past the last watermark."""

from __future__ import annotations

import asyncpg

from tests.ingestion.conftest import RAW, Source, run_batch


async def test_forensic_keeps_every_version_with_the_batches_it_lived_in(
    source: Source, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    store = source.store(milestoning="forensic")
    await run_batch(control, warehouse, store, source.login)
    before = await warehouse.fetchval(f"SELECT xmin::text FROM {RAW} WHERE id = 1")
    await source.admin.execute(
        "UPDATE crm_customers SET email = 'new' WHERE id = 7; DELETE FROM crm_customers WHERE id = 9;"
        "INSERT INTO crm_customers VALUES (101, 'c101', 1, 'x')"
    )
    batch = await run_batch(control, warehouse, store, source.login)
    assert (batch.inserted, batch.updated, batch.deleted, batch.unchanged) == (1, 1, 1, 98)
    history = await warehouse.fetch(
        f"SELECT id, email, ecoplane_batch_in AS i, ecoplane_batch_out AS o FROM {RAW}"
        " WHERE id IN (7, 9, 101) ORDER BY id, i"
    )
    assert [tuple(r) for r in history] == [
        (7, "c7@acme.test", 1, 2),
        (7, "new", 2, None),
        (9, "c9@acme.test", 1, 2),
        (101, "c101", 2, None),
    ]
    assert (
        await warehouse.fetchval(f"SELECT count(*) FROM {RAW} WHERE ecoplane_batch_out IS NULL")
        == 100
    )
    assert await warehouse.fetchval(f"SELECT xmin::text FROM {RAW} WHERE id = 1") == before


async def test_a_watermark_batch_reads_only_rows_past_the_last_watermark(
    source: Source, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    await source.admin.execute("ALTER TABLE crm_customers ADD COLUMN changed bigint")
    await source.admin.execute("UPDATE crm_customers SET changed = id")
    store = source.store(
        kind="sql-watermark",
        watermark="watermark: changed",
        extra="        - {name: changed, type: bigint}\n",
    )
    first = await run_batch(control, warehouse, store, source.login)
    assert (first.inserted, first.watermarks) == (100, {"customers": "100"})
    await source.admin.execute(
        "UPDATE crm_customers SET email = 'new', changed = 101 WHERE id = 3;"
        "UPDATE crm_customers SET email = 'unseen' WHERE id = 4;"  # not past the watermark
        "DELETE FROM crm_customers WHERE id = 5"  # a watermark batch deletes nothing
    )
    second = await run_batch(control, warehouse, store, source.login)
    assert (second.inserted, second.updated, second.deleted, second.unchanged) == (0, 1, 0, 0)
    assert second.watermarks == {"customers": "101"}
    emails = await warehouse.fetch(f"SELECT id, email FROM {RAW} WHERE id IN (3, 4, 5) ORDER BY id")
    assert [tuple(r) for r in emails] == [(3, "new"), (4, "c4@acme.test"), (5, "c5@acme.test")]
    third = await run_batch(control, warehouse, store, source.login)
    assert (third.inserted, third.updated, third.watermarks) == (0, 0, {"customers": "101"})
