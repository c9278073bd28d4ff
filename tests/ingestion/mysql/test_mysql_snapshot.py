"""sql-snapshot from MySQL/MariaDB: rows streamed into the warehouse, merged by key, recorded."""

from __future__ import annotations

import asyncpg
import pytest

from tests.ingestion.conftest import run_batch
from tests.ingestion.mysql.conftest import MysqlSource

pytestmark = pytest.mark.mysql
RAW = "raw.customers__customers"


async def _rows(warehouse: asyncpg.Connection) -> list[tuple[object, ...]]:
    return [tuple(r) for r in await warehouse.fetch(f"SELECT * FROM {RAW} ORDER BY id")]


async def test_a_first_snapshot_copies_every_row_exactly(
    mysql_source: MysqlSource, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    batch = await run_batch(control, warehouse, mysql_source.store(), mysql_source.login)
    assert (batch.number, batch.state, batch.inserted, batch.updated) == (1, "succeeded", 100, 0)
    rows = await _rows(warehouse)
    assert len(rows) == 100
    assert rows[6] == (7, "c7@acme.test", pytest.approx(10.5))
    assert str(rows[6][2]) == "10.5000"  # numeric(18,4): the decimal as the source held it


async def test_a_second_snapshot_merges_what_changed_at_the_source(
    mysql_source: MysqlSource, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    store = mysql_source.store()
    await run_batch(control, warehouse, store, mysql_source.login)
    await mysql_source.execute(
        "UPDATE crm_customers SET email = 'new@acme.test' WHERE id = 7",
        "UPDATE crm_customers SET note = 'not modelled' WHERE id = 8",
        "DELETE FROM crm_customers WHERE id = 9",
        "INSERT INTO crm_customers VALUES (101, 'c101@acme.test', 1, 'x')",
    )
    batch = await run_batch(control, warehouse, store, mysql_source.login)
    assert (batch.number, batch.inserted, batch.updated, batch.deleted) == (2, 1, 1, 1)
    assert batch.unchanged == 98
    keys = [r[0] for r in await _rows(warehouse)]
    assert 9 not in keys and 101 in keys and len(keys) == 100
    assert await warehouse.fetchval(f"SELECT email FROM {RAW} WHERE id = 7") == "new@acme.test"


async def test_a_source_table_named_with_a_backtick_is_quoted(
    mysql_source: MysqlSource, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    table = "crm`customers`; DROP TABLE crm_customers; --x"
    quoted = "`" + table.replace("`", "``") + "`"
    await mysql_source.execute(
        f"CREATE TABLE {quoted} (id BIGINT PRIMARY KEY, email VARCHAR(100), balance INT)",
        f"INSERT INTO {quoted} VALUES (1, 'tick`@acme.test', 5)",
    )
    batch = await run_batch(control, warehouse, mysql_source.store(table=table), mysql_source.login)
    assert batch.inserted == 1
    assert await _rows(warehouse) == [(1, "tick`@acme.test", 5)]
    assert (await mysql_source.fetch("SELECT count(*) FROM crm_customers"))[0][0] == 100
