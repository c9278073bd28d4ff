"""Raw tables follow the model through the security sync: a new nullable column is added; an
incompatible change is refused by the sync and by the batch, naming the columns; a batch whose
tables the sync has not brought to the model yet fails saying so, before anything is written."""

from __future__ import annotations

import asyncpg
import pytest

from app.ingestion import batch as batches
from app.ingestion.tables import IngestionError
from app.security.sync import RawTablesRefusedError
from tests.ingestion.conftest import Source, run_batch, sync_raw_tables

NOTE = "        - {name: note, type: text}\n"
TABLE = "raw.customers__customers"


async def _columns(warehouse: asyncpg.Connection) -> list[str]:
    columns = await warehouse.fetch(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_name = 'customers__customers' ORDER BY ordinal_position"
    )
    return [c["column_name"] for c in columns]


async def test_a_new_nullable_column_is_added_by_the_sync_and_filled(
    source: Source, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    await run_batch(control, warehouse, source.store(), source.login)
    batch = await run_batch(control, warehouse, source.store(extra=NOTE), source.login)
    assert (batch.updated, batch.unchanged) == (100, 0)  # every row gains its note
    assert await warehouse.fetchval(f"SELECT count(*) FROM {TABLE} WHERE note = 'x'") == 100


async def test_the_sync_makes_a_raw_table_with_room_on_each_page_for_updates(
    source: Source, warehouse: asyncpg.Connection
) -> None:
    await sync_raw_tables(warehouse, source.store())
    options = await warehouse.fetchval(
        "SELECT reloptions FROM pg_class WHERE oid = $1::regclass", TABLE
    )
    assert options == ["fillfactor=90"]  # a batch's update fits on its row's page (HOT)


async def test_a_batch_before_the_sync_fails_saying_so_and_writes_nothing(
    source: Source, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    with pytest.raises(IngestionError) as missing:  # no sync yet: no raw table
        await batches.run_batch(control, warehouse, source.store(), source.login)
    assert missing.value.detail.startswith(
        f"the security sync has not applied the model to the raw tables yet: {TABLE} does not exist"
    )
    await run_batch(control, warehouse, source.store(), source.login)
    await source.admin.execute("UPDATE crm_customers SET email = 'changed'")
    with pytest.raises(IngestionError) as behind:  # a new column the sync has not added yet
        await batches.run_batch(control, warehouse, source.store(extra=NOTE), source.login)
    assert f"{TABLE} lacks the new column note" in behind.value.detail
    assert await _columns(warehouse) == ["id", "email", "balance"]
    changed = f"SELECT count(*) FROM {TABLE} WHERE email = 'changed'"
    assert await warehouse.fetchval(changed) == 0


async def test_an_incompatible_change_names_the_columns_and_changes_nothing(
    source: Source, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    await run_batch(control, warehouse, source.store(), source.login)
    await warehouse.execute(f"ALTER TABLE {TABLE} ADD COLUMN legacy int NOT NULL DEFAULT 0")
    await source.admin.execute("UPDATE crm_customers SET email = 'changed'")
    store = source.store(extra=NOTE + "        - {name: score, type: integer, nullable: false}\n")
    await source.admin.execute("ALTER TABLE crm_customers ADD COLUMN score int DEFAULT 1")
    with pytest.raises(RawTablesRefusedError) as refused:
        await sync_raw_tables(warehouse, store)
    wrong = (
        f"{TABLE}: new column score is not nullable or in the key; "
        f"{TABLE}.legacy is not in the model and not null"
    )
    assert refused.value.detail.endswith(wrong)
    assert await _columns(warehouse) == ["id", "email", "balance", "legacy"]  # no note
    with pytest.raises(IngestionError) as raised:
        await batches.run_batch(control, warehouse, store, source.login)
    assert raised.value.detail == "the raw tables cannot follow the model: " + wrong
    changed = f"SELECT count(*) FROM {TABLE} WHERE email = 'changed'"
    assert await warehouse.fetchval(changed) == 0


async def test_a_type_change_and_a_milestoning_change_are_refused(
    source: Source, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    await run_batch(control, warehouse, source.store(), source.login)
    await warehouse.execute(f"ALTER TABLE {TABLE} ALTER COLUMN email TYPE text")
    with pytest.raises(RawTablesRefusedError) as refused:
        await sync_raw_tables(warehouse, source.store())
    assert refused.value.detail.endswith(f"{TABLE}.email is text, the model says varchar(255)")
    forensic = source.store(milestoning="forensic")
    with pytest.raises(RawTablesRefusedError) as milestoning:
        await sync_raw_tables(warehouse, forensic)
    assert milestoning.value.detail.endswith(
        f"{TABLE} keeps current rows only; the model says forensic"
    )
    with pytest.raises(IngestionError) as raised:
        await batches.run_batch(control, warehouse, forensic, source.login)
    assert raised.value.detail == (
        "the raw tables cannot follow the model: "
        f"{TABLE}.email is text, the model says character varying(255); "
        f"{TABLE} keeps current rows only; the model says forensic"
    )


async def test_a_primary_key_changed_by_hand_is_refused_naming_the_column(
    source: Source, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    await run_batch(control, warehouse, source.store(), source.login)
    key = await warehouse.fetchval(
        "SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'", TABLE
    )
    await warehouse.execute(f'ALTER TABLE {TABLE} DROP CONSTRAINT "{key}"')
    await warehouse.execute(f"ALTER TABLE {TABLE} ADD PRIMARY KEY (id, email)")
    with pytest.raises(RawTablesRefusedError) as refused:
        await sync_raw_tables(warehouse, source.store())
    assert refused.value.detail.endswith(f"{TABLE}.email: the primary key changed")
    await warehouse.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT {TABLE.split('.')[1]}_pkey")
    with pytest.raises(RawTablesRefusedError) as dropped:  # no key at all (email stays not null)
        await sync_raw_tables(warehouse, source.store())
    assert dropped.value.detail.endswith(
        f"{TABLE}.id: the primary key changed; {TABLE}.email is not null, the model allows nulls"
    )
