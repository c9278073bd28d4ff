"""The merge's paths: an empty raw table filled straight, the changes of a key-only dataset, a
forensic watermark batch closing versions by their whole key, nulls compared as values."""

from __future__ import annotations

import asyncpg
import pytest

from app.db.batch_table import BatchState
from app.ecosystem.model import Datastore
from app.ingestion.batches import list_batches
from app.ingestion.tables import IngestionError
from tests.ingestion.conftest import COLUMNS, RAW, Source, run_batch


def _keys_only(source: Source) -> Datastore:
    """Customers with its key as its only modelled column."""
    return source.store(columns="        - {name: id, type: bigint, primaryKey: true}\n")


async def test_a_raw_table_emptied_by_a_snapshot_is_filled_again_by_the_next(
    source: Source, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    store = source.store()
    assert (await run_batch(control, warehouse, store, source.login)).inserted == 100
    await source.admin.execute("CREATE TABLE kept AS SELECT * FROM crm_customers")
    await source.admin.execute("DELETE FROM crm_customers")
    emptied = await run_batch(control, warehouse, store, source.login)
    assert (emptied.deleted, emptied.inserted) == (100, 0)
    assert await warehouse.fetchval(f"SELECT count(*) FROM {RAW}") == 0
    await source.admin.execute("INSERT INTO crm_customers SELECT * FROM kept WHERE id <= 60")
    again = await run_batch(control, warehouse, store, source.login)  # straight into it
    assert (again.inserted, again.updated, again.deleted, again.unchanged) == (60, 0, 0, 0)
    assert await warehouse.fetchval(f"SELECT count(*) FROM {RAW}") == 60


async def test_a_first_batch_cut_mid_copy_leaves_its_raw_table_empty_and_the_next_fills_it(
    source: Source, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    # a forensic source whose connection ends itself at its 30,000th row, while the COPY
    # streams straight into the empty raw table
    await source.admin.execute(
        "INSERT INTO crm_customers SELECT i, 'c' || i, i, 'x' FROM generate_series(101, 50000) i;"
        "CREATE FUNCTION ends_at(id bigint) RETURNS bigint LANGUAGE sql AS"
        " $$ SELECT CASE WHEN id = 30000 THEN (SELECT id + pg_terminate_backend(pg_backend_pid())::int) ELSE id END $$;"
        "CREATE VIEW flaky AS SELECT ends_at(id) AS id, email, balance FROM crm_customers;"
    )
    flaky = source.store(table="flaky", milestoning="forensic")
    with pytest.raises(IngestionError, match="reading the source failed"):
        await run_batch(control, warehouse, flaky, source.login)
    assert await warehouse.fetchval(f"SELECT count(*) FROM {RAW}") == 0
    failed = (await list_batches(control, "Customers", limit=1, offset=0))[0][0]
    assert (failed.state, failed.number) == (BatchState.FAILED, 1)
    await source.admin.execute(
        "CREATE OR REPLACE VIEW flaky AS SELECT id, email, balance FROM crm_customers"
    )
    batch = await run_batch(control, warehouse, flaky, source.login)
    assert (batch.number, batch.inserted) == (2, 50000)
    counted = await warehouse.fetchrow(
        f"SELECT count(DISTINCT id) AS keys, min(ecoplane_batch_in) AS low,"
        f" max(ecoplane_batch_in) AS high, count(ecoplane_batch_out) AS closed FROM {RAW}"
    )
    assert counted is not None and tuple(counted) == (50000, 2, 2, 0)


async def test_a_dataset_of_keys_only_inserts_and_deletes_keys(
    source: Source, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    store = _keys_only(source)
    await run_batch(control, warehouse, store, source.login)
    kept = await warehouse.fetchval(f"SELECT xmin::text FROM {RAW} WHERE id = 50")
    await source.admin.execute(
        "DELETE FROM crm_customers WHERE id = 1; UPDATE crm_customers SET email = 'x' WHERE id = 2;"
        "INSERT INTO crm_customers VALUES (500, 'new', 1, 'x')"
    )
    second = await run_batch(control, warehouse, store, source.login)
    assert (second.inserted, second.updated, second.deleted, second.unchanged) == (1, 0, 1, 99)
    keys = await warehouse.fetch(f"SELECT id FROM {RAW} WHERE id IN (1, 2, 500) ORDER BY id")
    assert [r["id"] for r in keys] == [2, 500]
    assert await warehouse.fetchval(f"SELECT xmin::text FROM {RAW} WHERE id = 50") == kept


async def test_a_forensic_watermark_batch_closes_only_the_current_versions_it_replaces(
    source: Source, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    await source.admin.execute("ALTER TABLE crm_customers ADD COLUMN changed bigint")
    await source.admin.execute("UPDATE crm_customers SET changed = id")
    store = source.store(
        kind="sql-watermark",
        milestoning="forensic",
        watermark="watermark: changed",
        extra="        - {name: changed, type: bigint}\n",
    )
    first = await run_batch(control, warehouse, store, source.login)
    assert (first.inserted, first.watermarks) == (100, {"customers": "100"})
    for changed, email in ((101, "second"), (102, "third")):  # id 3 changes twice
        await source.admin.execute(
            f"UPDATE crm_customers SET email = '{email}', changed = {changed} WHERE id = 3"
        )
        await run_batch(control, warehouse, store, source.login)
    await source.admin.execute(
        "INSERT INTO crm_customers VALUES (200, 'c200', 1, 'x', 103); DELETE FROM crm_customers"
        " WHERE id = 4"  # a watermark batch closes nothing it did not read
    )
    last = await run_batch(control, warehouse, store, source.login)
    assert (last.inserted, last.updated, last.deleted, last.unchanged) == (1, 0, 0, 0)
    history = await warehouse.fetch(
        f"SELECT id, email, ecoplane_batch_in AS i, ecoplane_batch_out AS o FROM {RAW}"
        " WHERE id IN (3, 4, 200) ORDER BY id, i"
    )
    assert [tuple(r) for r in history] == [
        (3, "c3@acme.test", 1, 2),
        (3, "second", 2, 3),
        (3, "third", 3, None),
        (4, "c4@acme.test", 1, None),
        (200, "c200", 4, None),
    ]


@pytest.mark.parametrize("milestoning", ["live", "forensic"])
async def test_a_null_on_one_side_is_a_change_and_on_both_sides_is_not(
    source: Source, warehouse: asyncpg.Connection, control: asyncpg.Connection, milestoning: str
) -> None:
    # the merge join compares every value column with IS DISTINCT FROM: a value that became
    # null (1), a null that got a value (2) are changes; a null kept (3) and the rest are not
    store = source.store(milestoning=milestoning)
    await source.admin.execute("UPDATE crm_customers SET email = NULL WHERE id IN (2, 3)")
    await run_batch(control, warehouse, store, source.login)
    await source.admin.execute(
        "UPDATE crm_customers SET email = NULL WHERE id = 1;"
        "UPDATE crm_customers SET email = 'filled' WHERE id = 2;"
        "UPDATE crm_customers SET balance = NULL WHERE id = 4"
    )
    second = await run_batch(control, warehouse, store, source.login)
    assert (second.inserted, second.updated, second.deleted, second.unchanged) == (0, 3, 0, 97)
    current = " AND ecoplane_batch_out IS NULL" if milestoning == "forensic" else ""
    rows = await warehouse.fetch(
        f"SELECT id, email, balance::text AS balance FROM {RAW} WHERE id <= 4{current} ORDER BY id"
    )
    assert [tuple(r) for r in rows] == [
        (1, None, "1.5000"),
        (2, "filled", "3.0000"),
        (3, None, "4.5000"),
        (4, "c4@acme.test", None),
    ]
    if milestoning == "forensic":  # exactly the three changed rows got a second version
        assert await warehouse.fetchval(f"SELECT count(*) FROM {RAW}") == 103


async def test_datasets_whose_raw_tables_share_their_first_48_characters_stage_apart(
    source: Source, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    long = "customer_addresses_by_region_and_country_history"
    extra = "".join(
        f"    - name: {long}_{end}\n      sourceTable: crm_customers\n      columns:\n{COLUMNS}"
        for end in "ab"
    )
    store = source.store(extra=extra)
    first = await run_batch(control, warehouse, store, source.login)
    await source.admin.execute("UPDATE crm_customers SET email = 'new' WHERE id = 5")
    second = await run_batch(control, warehouse, store, source.login)  # compared
    assert (first.inserted, second.updated, second.unchanged) == (300, 3, 297)
    assert second.tables is not None
    assert set(second.tables) == {"customers", f"{long}_a", f"{long}_b"}
