"""Raw tables follow the model: a new nullable column is added; an incompatible change is refused."""

from __future__ import annotations

import asyncpg
import pytest

from app.ingestion.batch import run_batch
from app.ingestion.tables import IngestionError
from tests.ingestion.conftest import Source

NOTE = "        - {name: note, type: text}\n"


async def test_a_new_nullable_column_is_added_and_filled(
    source: Source, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    await run_batch(control, warehouse, source.store(), source.login)
    batch = await run_batch(control, warehouse, source.store(extra=NOTE), source.login)
    assert (batch.updated, batch.unchanged) == (100, 0)  # every row gains its note
    assert (
        await warehouse.fetchval("SELECT count(*) FROM raw.customers__customers WHERE note = 'x'")
        == 100
    )


async def test_an_incompatible_change_names_the_columns_and_changes_nothing(
    source: Source, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    await run_batch(control, warehouse, source.store(), source.login)
    await warehouse.execute(
        "ALTER TABLE raw.customers__customers ADD COLUMN legacy int NOT NULL DEFAULT 0"
    )
    await source.admin.execute("UPDATE crm_customers SET email = 'changed'")
    store = source.store(extra=NOTE + "        - {name: score, type: integer, nullable: false}\n")
    await source.admin.execute("ALTER TABLE crm_customers ADD COLUMN score int DEFAULT 1")
    with pytest.raises(IngestionError) as raised:
        await run_batch(control, warehouse, store, source.login)
    assert raised.value.detail == (
        "the raw tables cannot follow the model: "
        "raw.customers__customers: new column score is not nullable or in the key; "
        "raw.customers__customers.legacy is not in the model and not null"
    )
    columns = await warehouse.fetch(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_name = 'customers__customers' ORDER BY ordinal_position"
    )
    assert [c["column_name"] for c in columns] == ["id", "email", "balance", "legacy"]  # no note
    assert (
        await warehouse.fetchval(
            "SELECT count(*) FROM raw.customers__customers WHERE email = 'changed'"
        )
        == 0
    )


async def test_a_type_change_and_a_milestoning_change_are_refused(
    source: Source, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    await run_batch(control, warehouse, source.store(), source.login)
    await warehouse.execute("ALTER TABLE raw.customers__customers ALTER COLUMN email TYPE text")
    with pytest.raises(IngestionError) as raised:
        await run_batch(control, warehouse, source.store(milestoning="forensic"), source.login)
    assert raised.value.detail == (
        "the raw tables cannot follow the model: "
        "raw.customers__customers.email is text, the model says character varying(255); "
        "raw.customers__customers keeps current rows only; the model says forensic"
    )
