"""sql-snapshot from PostgreSQL with live milestoning: merge by key, all or nothing, recorded."""

from __future__ import annotations

import asyncpg
import pytest

from app.db.batch_table import BatchState
from app.ingestion.batches import list_batches
from app.ingestion.tables import IngestionError
from tests.ingestion.conftest import RAW, Source, batch_after_change, run_batch


async def _rows(warehouse: asyncpg.Connection) -> list[tuple[object, ...]]:
    return [tuple(r) for r in await warehouse.fetch(f"SELECT * FROM {RAW} ORDER BY id")]


async def test_a_first_snapshot_creates_the_raw_table_and_copies_every_row(
    source: Source, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    batch = await run_batch(control, warehouse, source.store(), source.login, run_id=None)
    assert (batch.number, batch.state, batch.inserted, batch.updated) == (1, "succeeded", 100, 0)
    assert (batch.deleted, batch.unchanged) == (0, 0)
    assert batch.tables == {
        "customers": {"inserted": 100, "updated": 0, "deleted": 0, "unchanged": 0}
    }
    assert batch.read_seconds is not None and batch.merge_seconds is not None
    rows = await _rows(warehouse)
    assert len(rows) == 100 and rows[0] == (1, "c1@acme.test", pytest.approx(1.5))
    types = await warehouse.fetch(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns"
        " WHERE table_name = 'customers__customers' ORDER BY ordinal_position"
    )
    assert [tuple(t) for t in types] == [
        ("id", "bigint", "NO"),
        ("email", "character varying", "YES"),
        ("balance", "numeric", "YES"),
    ]


async def test_a_second_snapshot_writes_only_what_changed(
    source: Source, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    batch, before, after = await batch_after_change(
        control,
        warehouse,
        source,
        "UPDATE crm_customers SET email = 'new@acme.test' WHERE id = 7;"
        "UPDATE crm_customers SET note = 'not modelled' WHERE id = 8;"
        "DELETE FROM crm_customers WHERE id = 9;"
        "INSERT INTO crm_customers VALUES (101, 'c101@acme.test', 1, 'x')",
    )
    assert (batch.number, batch.inserted, batch.updated, batch.deleted) == (2, 1, 1, 1)
    assert batch.unchanged == 98
    rewritten = {key for key in before.keys() & after.keys() if before[key] != after[key]}
    assert rewritten == {7}  # id 8 changed only outside the model: not rewritten
    assert 9 not in after and 101 in after
    assert await warehouse.fetchval(f"SELECT email FROM {RAW} WHERE id = 7") == "new@acme.test"
    pages, total = await list_batches(control, "Customers", limit=1, offset=0)
    assert total == 2 and [b.number for b in pages] == [2]


async def test_the_source_dropped_mid_copy_leaves_the_warehouse_as_it_was_and_the_next_run_repeats(
    source: Source, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    await run_batch(control, warehouse, source.store(), source.login)
    before = await _rows(warehouse)
    # a source whose connection ends itself at its 30,000th row, while the COPY streams
    await source.admin.execute(
        "INSERT INTO crm_customers SELECT i, 'c' || i, i, 'x' FROM generate_series(101, 50000) i;"
        "CREATE FUNCTION ends_at(id bigint) RETURNS bigint LANGUAGE sql AS"
        " $$ SELECT CASE WHEN id = 30000 THEN (SELECT id + pg_terminate_backend(pg_backend_pid())::int) ELSE id END $$;"
        "CREATE VIEW flaky AS SELECT ends_at(id) AS id, email, balance FROM crm_customers;"
    )
    flaky = source.store(table="flaky")
    with pytest.raises(IngestionError, match="reading the source failed"):
        await run_batch(control, warehouse, flaky, source.login)
    assert await _rows(warehouse) == before
    failed = (await list_batches(control, "Customers", limit=1, offset=0))[0][0]
    assert failed.state is BatchState.FAILED and failed.number == 2
    assert failed.reason and "reading the source failed" in failed.reason, failed.reason
    await source.admin.execute(
        "CREATE OR REPLACE VIEW flaky AS SELECT id, email, balance FROM crm_customers"
    )
    batch = await run_batch(control, warehouse, flaky, source.login)
    assert (batch.number, batch.inserted, batch.unchanged) == (3, 49900, 100)
    assert await warehouse.fetchval(f"SELECT count(*), count(DISTINCT id) FROM {RAW}") == 50000


async def test_a_drifted_source_fails_with_every_difference_before_anything_is_written(
    source: Source, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    await source.admin.execute(
        "ALTER TABLE crm_customers DROP COLUMN email;"
        "ALTER TABLE crm_customers ALTER COLUMN balance TYPE boolean USING balance > 10"
    )
    with pytest.raises(IngestionError) as raised:
        await run_batch(control, warehouse, source.store(), source.login)
    detail = raised.value.detail
    assert "source of datastore 'Customers' differs from the model" in detail
    assert "public.crm_customers lacks column 'email'" in detail
    assert "public.crm_customers.balance: cannot cast type boolean to numeric" in detail
    assert await warehouse.fetchval("SELECT count(*) FROM raw.customers__customers") == 0
    recorded = (await list_batches(control, "Customers", limit=5, offset=0))[0]
    assert [(b.state, b.reason) for b in recorded] == [(BatchState.FAILED, detail)]


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (
            "ALTER TABLE crm_customers DROP CONSTRAINT crm_customers_pkey;"
            "ALTER TABLE crm_customers ALTER COLUMN id DROP NOT NULL;"
            "INSERT INTO crm_customers VALUES (NULL, 'nobody', 0, 'x')",
            r"dataset Customers.customers: a source row has a null primary key \(id\)",
        ),
        (
            "ALTER TABLE crm_customers DROP CONSTRAINT crm_customers_pkey;"
            "INSERT INTO crm_customers VALUES (7, 'again', 0, 'x')",
            r"dataset Customers.customers: a snapshot holds a key twice: Key \(id\)=\(7\)",
        ),
    ],
    ids=["null-primary-key", "duplicate-key"],
)
async def test_a_bad_key_at_the_source_fails_the_batch_and_keeps_the_warehouse(
    source: Source,
    warehouse: asyncpg.Connection,
    control: asyncpg.Connection,
    fault: str,
    message: str,
) -> None:
    store = source.store()
    await run_batch(control, warehouse, store, source.login)
    before = await _rows(warehouse)
    await source.admin.execute("UPDATE crm_customers SET email = 'changed'")
    await source.admin.execute(fault)
    with pytest.raises(IngestionError, match=message):
        await run_batch(control, warehouse, store, source.login)
    assert await _rows(warehouse) == before
