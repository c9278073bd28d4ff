"""Rows from MySQL are streamed: a slow warehouse does not let the source's result pile up."""

from __future__ import annotations

import asyncio

import pytest

from app.ingestion import source_mysql
from app.ingestion.source import Endpoint
from app.ingestion.source_mysql import MysqlReader
from app.ingestion.tables import raw_tables
from tests.ingestion.mysql.conftest import MysqlSource, numbers

pytestmark = pytest.mark.mysql
ROWS = 50_000
WIDTH = 220  # bytes of each row's email: ~11 MB in all


async def _largest_read_ahead(mysql_source: MysqlSource) -> int:
    store = mysql_source.store()
    assert store.ingestion is not None
    reader = await MysqlReader.open(Endpoint.of(store.name, store.ingestion), mysql_source.login)
    table = raw_tables(store)[0]
    await reader.columns(table)
    largest, count = 0, 0
    try:
        async for _ in reader._rows(table, reader.query(table, None, None)):
            count += 1
            if count % source_mysql.CHUNK_ROWS == 0:
                await asyncio.sleep(0.1)  # a slow warehouse: the source's socket keeps filling
                largest = max(largest, reader.read_ahead)
    finally:
        await reader.close()
    assert count == ROWS
    return largest


async def test_a_slow_warehouse_keeps_what_the_source_sent_ahead_bounded(
    mysql_source: MysqlSource,
) -> None:
    await mysql_source.execute(
        "DELETE FROM crm_customers",
        f"INSERT INTO crm_customers SELECT n, LPAD(n, {WIDTH}, 'x'), n, 'x' FROM "
        + numbers(1, ROWS),
    )
    # without the pause between fetches the rest of the result (~10 MB) arrives while it waits
    assert await _largest_read_ahead(mysql_source) < 1 << 20
