"""Values from MySQL/MariaDB land as the model types them; a source that cannot is refused whole."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import asyncpg
import pytest

from app.db.batch_table import BatchState
from app.ingestion.batches import list_batches
from app.ingestion.tables import IngestionError
from tests.ingestion.conftest import run_batch
from tests.ingestion.mysql.conftest import MysqlSource

pytestmark = pytest.mark.mysql
RAW = "raw.customers__customers"
TYPED = """\
CREATE TABLE typed (
  id INT UNSIGNED PRIMARY KEY, small TINYINT, big BIGINT, amount DECIMAL(30,10), ratio DOUBLE,
  flag TINYINT(1), name VARCHAR(50), body MEDIUMTEXT, born DATE, seen DATETIME(6),
  stamped TIMESTAMP NULL, doc JSON, data BLOB,
  opens TIME(6), zoned TIMESTAMP NULL, price DECIMAL(10,2)
) CHARACTER SET utf8mb4"""
MODELLED = """\
        - {name: id, type: bigint, primaryKey: true}
        - {name: small, type: smallint}
        - {name: big, type: bigint}
        - {name: amount, type: "decimal(30,10)"}
        - {name: ratio, type: double}
        - {name: flag, type: boolean}
        - {name: name, type: varchar(50)}
        - {name: body, type: text}
        - {name: born, type: date}
        - {name: seen, type: timestamp}
        - {name: stamped, type: timestamp}
        - {name: doc, type: json}
        - {name: data, type: binary}
        - {name: opens, type: time}
        - {name: zoned, type: timestamptz}
        - {name: price, type: double}"""
TEXT = "Zoë 🦊 tab\there\nline \\back"


async def test_each_type_of_the_compatibility_table_arrives_exactly(
    mysql_source: MysqlSource, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    text = mysql_source.admin.escape(TEXT)  # type: ignore[no-untyped-call]
    await mysql_source.execute(
        TYPED,
        "SET time_zone = '+02:00'",  # a TIMESTAMP is stored in UTC and read in UTC
        "INSERT INTO typed VALUES (4294967295, -128, -9223372036854775808,"
        f" 12345678901234567890.0123456789, 0.1, 1, {text}, REPEAT('é', 70000), '2024-02-29',"
        " '2024-02-29 23:59:59.123456', '2024-06-01 12:00:00', '{\"a\": [1, 2]}', X'00015C09FF',"
        " '08:30:00.5', '2024-06-01 12:00:00', 19.99)",
        "INSERT INTO typed (id, flag) VALUES (2, 0)",
    )
    store = mysql_source.store(table="typed", columns=MODELLED)
    batch = await run_batch(control, warehouse, store, mysql_source.login)
    assert batch.inserted == 2
    rows = await warehouse.fetch(f"SELECT * FROM {RAW} ORDER BY id")
    assert tuple(rows[1]) == (
        4294967295,
        -128,
        -9223372036854775808,
        Decimal("12345678901234567890.0123456789"),
        0.1,
        True,
        TEXT,
        "é" * 70000,
        date(2024, 2, 29),
        datetime(2024, 2, 29, 23, 59, 59, 123456),
        datetime(2024, 6, 1, 10, 0, 0),
        '{"a": [1, 2]}',
        b"\x00\x01\\\t\xff",
        time(8, 30, 0, 500000),
        datetime(2024, 6, 1, 10, 0, 0, tzinfo=UTC),
        19.99,
    )
    assert tuple(rows[0]) == (2, None, None, None, None, False) + (None,) * 10


async def test_a_zero_date_fails_the_batch_naming_the_row_and_writes_nothing(
    mysql_source: MysqlSource, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    await mysql_source.execute(
        "CREATE TABLE dated (id BIGINT PRIMARY KEY, born DATE)",
        "INSERT INTO dated VALUES (1, '2020-01-01'), (3, '0000-00-00')",
    )
    columns = (
        "        - {name: id, type: bigint, primaryKey: true}\n        - {name: born, type: date}"
    )
    store = mysql_source.store(table="dated", columns=columns)
    with pytest.raises(IngestionError) as raised:
        await run_batch(control, warehouse, store, mysql_source.login)
    assert raised.value.detail == (
        "dataset Customers.customers: source row (id=3) holds '0000-00-00' in column 'born',"
        " which is no date (a MySQL zero date, or a zero month or day)"
    )
    assert (
        await warehouse.fetchval(f"SELECT count(*) FROM {RAW}") == 0
    )  # made by the sync, unwritten


async def test_a_drifted_source_fails_with_every_difference_before_anything_is_written(
    mysql_source: MysqlSource, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    await mysql_source.execute(
        "ALTER TABLE crm_customers DROP COLUMN email, MODIFY balance VARCHAR(20)"
    )
    with pytest.raises(IngestionError) as raised:
        await run_batch(control, warehouse, mysql_source.store(), mysql_source.login)
    detail = raised.value.detail
    where = f"{mysql_source.database}.crm_customers"
    assert detail == (
        "the source of datastore 'Customers' differs from the model: "
        f"source table {where} lacks column 'email'; "
        f"source column {where}.balance: cannot cast type varchar(20) to numeric(18,4)"
    )
    assert (
        await warehouse.fetchval(f"SELECT count(*) FROM {RAW}") == 0
    )  # made by the sync, unwritten
    recorded = (await list_batches(control, "Customers", limit=5, offset=0))[0]
    assert [(b.state, b.reason) for b in recorded] == [(BatchState.FAILED, detail)]


async def test_a_missing_source_table_is_named(
    mysql_source: MysqlSource, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    with pytest.raises(IngestionError, match=r"source table \S+\.nowhere does not exist"):
        await run_batch(control, warehouse, mysql_source.store(table="nowhere"), mysql_source.login)


async def test_a_value_out_of_the_modelled_range_fails_the_batch_naming_the_row(
    mysql_source: MysqlSource, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    await mysql_source.execute(
        "CREATE TABLE shifts (id BIGINT PRIMARY KEY, opens TIME)",
        "INSERT INTO shifts VALUES (1, '08:00:00'), (2, '30:00:00')",  # MySQL's TIME: an interval
    )
    columns = (
        "        - {name: id, type: bigint, primaryKey: true}\n        - {name: opens, type: time}"
    )
    with pytest.raises(IngestionError) as raised:
        await run_batch(
            control,
            warehouse,
            mysql_source.store(table="shifts", columns=columns),
            mysql_source.login,
        )
    assert raised.value.detail == (
        "dataset Customers.customers: source row (id=2) holds '30:00:00' in column 'opens',"
        " which is no time of day (MySQL's TIME spans -838:59:59 to 838:59:59)"
    )
    assert (
        await warehouse.fetchval(f"SELECT count(*) FROM {RAW}") == 0
    )  # made by the sync, unwritten
    assert await warehouse.fetchval("SELECT 1") == 1  # the connection is usable after the refusal


async def test_text_the_warehouse_cannot_read_as_the_modelled_type_fails_the_batch(
    mysql_source: MysqlSource, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    await mysql_source.execute(
        "CREATE TABLE tokens (id BIGINT PRIMARY KEY, token CHAR(36))",
        "INSERT INTO tokens VALUES (1, '0f8fad5b-d9cb-469f-a165-70867728950e'), (2, 'not a uuid')",
    )
    columns = (
        "        - {name: id, type: bigint, primaryKey: true}\n        - {name: token, type: uuid}"
    )
    store = mysql_source.store(table="tokens", columns=columns)
    with pytest.raises(IngestionError) as raised:
        await run_batch(control, warehouse, store, mysql_source.login)
    assert raised.value.detail.startswith(
        "dataset Customers.customers: a source value does not fit its modelled column: "
    ), raised.value.detail
    assert (
        await warehouse.fetchval(f"SELECT count(*) FROM {RAW}") == 0
    )  # made by the sync, unwritten
    await mysql_source.execute("UPDATE tokens SET token = UUID() WHERE id = 2")
    assert (await run_batch(control, warehouse, store, mysql_source.login)).inserted == 2
