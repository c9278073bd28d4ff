"""Faults at a MySQL/MariaDB source: the batch fails, the warehouse stays as it was, a rerun repeats."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest

from app.db.batch_table import BatchState
from app.db.urls import asyncpg_dsn
from app.ingestion.batches import list_batches
from app.ingestion.source import SourceLogin
from app.ingestion.tables import IngestionError
from tests.ingestion.conftest import run_batch
from tests.ingestion.mysql.conftest import MysqlSource, numbers

pytestmark = pytest.mark.mysql
RAW = "raw.customers__customers"
DEADLINE_SECONDS = 60


async def _rows(warehouse: asyncpg.Connection) -> list[tuple[object, ...]]:
    return [tuple(r) for r in await warehouse.fetch(f"SELECT * FROM {RAW} ORDER BY id")]


async def _until(what: str, check: object) -> None:
    """Poll an async check until it holds, failing at the deadline."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not await check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"never happened: {what}"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("milestoning", ["live", "forensic"])
async def test_the_source_killed_mid_copy_leaves_the_warehouse_as_it_was_and_the_rerun_repeats(
    mysql_source: MysqlSource,
    warehouse: asyncpg.Connection,
    warehouse_url: str,
    control: asyncpg.Connection,
    milestoning: str,
) -> None:
    await run_batch(
        control, warehouse, mysql_source.store(milestoning=milestoning), mysql_source.login
    )
    before = await _rows(warehouse)
    # 50,000 rows; the view pauses at row 40,000 so the copy is caught in the middle
    await mysql_source.execute(
        "INSERT INTO crm_customers SELECT n, CONCAT('c', n), n, 'x' FROM " + numbers(101, 50000),
        "CREATE VIEW flaky AS SELECT id + SLEEP(IF(id = 40000, 60, 0)) AS id, email, balance"
        " FROM crm_customers",  # no ORDER BY: a sort would read every row before sending one
    )
    flaky = mysql_source.store(table="flaky", milestoning=milestoning)
    batch = asyncio.create_task(run_batch(control, warehouse, flaky, mysql_source.login))
    watcher = await asyncpg.connect(asyncpg_dsn(warehouse_url))
    reader = mysql_source.login.user

    async def sleeping_mid_copy() -> bool:
        copied = await watcher.fetchval("SELECT max(tuples_processed) FROM pg_stat_progress_copy")
        found = await mysql_source.fetch(
            "SELECT id FROM information_schema.processlist"
            f" WHERE user = '{reader}' AND state = 'User sleep'"
        )
        return bool(found) and (copied or 0) >= 10000

    try:
        await _until(
            "the copy streams rows while the source sleeps at row 40,000", sleeping_mid_copy
        )
        connection_id = (
            await mysql_source.fetch(
                f"SELECT id FROM information_schema.processlist WHERE user = '{reader}'"
            )
        )[0][0]
        await mysql_source.execute(f"KILL {connection_id}")
        with pytest.raises(IngestionError, match="reading the source failed") as raised:
            await asyncio.wait_for(batch, DEADLINE_SECONDS)
    finally:
        batch.cancel()
        await asyncio.gather(batch, return_exceptions=True)
        await watcher.close()
    assert "password" not in raised.value.detail.lower()
    assert await _rows(warehouse) == before
    failed = (await list_batches(control, "Customers", limit=1, offset=0))[0][0]
    assert (failed.state, failed.number) == (BatchState.FAILED, 2)
    assert failed.reason == raised.value.detail
    await mysql_source.execute(
        "CREATE OR REPLACE VIEW flaky AS SELECT id, email, balance FROM crm_customers"
    )
    rerun = await run_batch(control, warehouse, flaky, mysql_source.login)
    assert (rerun.number, rerun.inserted, rerun.unchanged) == (3, 49900, 100)
    counts = await warehouse.fetchrow(f"SELECT count(*), count(DISTINCT id) FROM {RAW}")
    assert counts is not None and tuple(counts) == (50000, 50000)


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (
            [
                "ALTER TABLE crm_customers DROP PRIMARY KEY, MODIFY id BIGINT NULL",
                "INSERT INTO crm_customers VALUES (NULL, 'nobody', 0, 'x')",
            ],
            r"dataset Customers.customers: a source row has a null primary key \(id\)",
        ),
        (
            [
                "ALTER TABLE crm_customers DROP PRIMARY KEY",
                "INSERT INTO crm_customers VALUES (7, 'again', 0, 'x')",
            ],
            r"dataset Customers.customers: a snapshot holds a key twice: Key \(id\)=\(7\)",
        ),
    ],
    ids=["null-primary-key", "duplicate-key"],
)
async def test_a_bad_key_at_the_source_fails_the_batch_and_keeps_the_warehouse(
    mysql_source: MysqlSource,
    warehouse: asyncpg.Connection,
    control: asyncpg.Connection,
    fault: list[str],
    message: str,
) -> None:
    store = mysql_source.store()
    await run_batch(control, warehouse, store, mysql_source.login)
    before = await _rows(warehouse)
    await mysql_source.execute("UPDATE crm_customers SET email = 'changed'", *fault)
    with pytest.raises(IngestionError, match=message):
        await run_batch(control, warehouse, store, mysql_source.login)
    assert await _rows(warehouse) == before


async def test_a_wrong_password_is_refused_naming_the_source_not_the_password(
    mysql_source: MysqlSource, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    wrong = SourceLogin(mysql_source.login.user, "hunter2-not-it")
    with pytest.raises(IngestionError) as raised:
        await run_batch(control, warehouse, mysql_source.store(), wrong)
    detail = raised.value.detail
    assert detail.startswith(f"cannot connect to source mysql://{mysql_source.host}:")
    assert "OperationalError" in detail and "hunter2" not in detail
