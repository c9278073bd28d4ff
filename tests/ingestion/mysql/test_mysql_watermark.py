"""sql-watermark and forensic milestoning from MySQL/MariaDB."""

from __future__ import annotations

import asyncpg
import pytest

from tests.ingestion.conftest import run_batch
from tests.ingestion.mysql.conftest import COLUMNS, MysqlSource

pytestmark = pytest.mark.mysql
RAW = "raw.customers__customers"


@pytest.mark.parametrize(
    ("source_type", "model_type", "first", "later"),
    [
        (
            "DATETIME(6)",
            "timestamp",
            "'2024-01-01 00:00:00.000001'",
            "'2024-01-01 00:00:00.000002'",
        ),
        ("BIGINT", "bigint", "9007199254740995", "9007199254740996"),  # equal as doubles
    ],
    ids=["datetime", "bigint"],
)
@pytest.mark.parametrize("milestoning", ["live", "forensic"])
async def test_a_watermark_batch_reads_only_the_rows_past_the_last_watermark(
    mysql_source: MysqlSource,
    warehouse: asyncpg.Connection,
    control: asyncpg.Connection,
    source_type: str,
    model_type: str,
    first: str,
    later: str,
    milestoning: str,
) -> None:
    await mysql_source.execute(
        f"ALTER TABLE crm_customers ADD COLUMN changed_at {source_type}",
        f"UPDATE crm_customers SET changed_at = {first}",
    )
    columns = COLUMNS + f"\n        - {{name: changed_at, type: {model_type}}}"
    store = mysql_source.store(
        kind="sql-watermark",
        milestoning=milestoning,
        columns=columns,
        watermark="watermark: changed_at",
    )
    one = await run_batch(control, warehouse, store, mysql_source.login)
    assert (one.inserted, one.watermarks) == (100, {"customers": first.strip("'")})
    await mysql_source.execute(
        f"UPDATE crm_customers SET email = 'read@acme.test', changed_at = {later} WHERE id = 7",
        "UPDATE crm_customers SET email = 'not read@acme.test' WHERE id = 8",  # watermark kept
        f"INSERT INTO crm_customers VALUES (101, 'new@acme.test', 1, 'x', {later})",
        "DELETE FROM crm_customers WHERE id = 9",  # a watermark batch never deletes
    )
    two = await run_batch(control, warehouse, store, mysql_source.login)
    assert (two.inserted, two.updated, two.deleted, two.unchanged) == (1, 1, 0, 0)
    assert two.watermarks == {"customers": later.strip("'")}
    current = "ecoplane_batch_out IS NULL" if milestoning == "forensic" else "true"
    rows = await warehouse.fetch(f"SELECT id, email FROM {RAW} WHERE id IN (7, 8, 9) AND {current}")
    emails = {r["id"]: r["email"] for r in rows}
    assert emails == {7: "read@acme.test", 8: "c8@acme.test", 9: "c9@acme.test"}
    three = await run_batch(control, warehouse, store, mysql_source.login)
    assert (three.inserted, three.updated, three.unchanged) == (0, 0, 0)


async def test_a_forensic_snapshot_keeps_every_version(
    mysql_source: MysqlSource, warehouse: asyncpg.Connection, control: asyncpg.Connection
) -> None:
    store = mysql_source.store(milestoning="forensic")
    await run_batch(control, warehouse, store, mysql_source.login)
    await mysql_source.execute(
        "UPDATE crm_customers SET email = 'a2' WHERE id = 7",
        "DELETE FROM crm_customers WHERE id = 9",
    )
    two = await run_batch(control, warehouse, store, mysql_source.login)
    assert (two.inserted, two.updated, two.deleted, two.unchanged) == (0, 1, 1, 98)
    versions = await warehouse.fetch(
        f"SELECT id, email, ecoplane_batch_in, ecoplane_batch_out FROM {RAW}"
        " WHERE id IN (7, 9) ORDER BY id, ecoplane_batch_in"
    )
    assert [tuple(v) for v in versions] == [
        (7, "c7@acme.test", 1, 2),
        (7, "a2", 2, None),
        (9, "c9@acme.test", 1, 2),
    ]
