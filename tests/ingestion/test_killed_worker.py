"""A worker killed mid-merge: the warehouse is as it was, the batch is recorded failed, and the
next run commits the same change once.

The merge is held deterministically: the test locks the raw table against writes (SHARE: reads
still pass), waits until the worker's backend waits on that lock (pg_blocking_pids), and kills
the worker process with SIGKILL.
"""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.urls import asyncpg_dsn
from tests.api.conftest import TOKENS, ended_run
from tests.ingestion.conftest import RAW, Source
from tests.ingestion.runs import served
from tests.jobs.conftest import until

OPERATOR = {"Authorization": f"Bearer {TOKENS['operator']}"}


@pytest.fixture
async def api(
    prefix: str,
    source: Source,
    engine: AsyncEngine,
    database_url: str,
    warehouse_url: str,
    tmp_path: Path,
) -> AsyncIterator[httpx.AsyncClient]:
    """The service with Customers ingested from the source; the security sync applied."""
    async for client in served(
        engine, source, database_url, warehouse_url, tmp_path, prefix, "killed-worker-test"
    ):
        yield client


async def _ingested(api: httpx.AsyncClient) -> dict[str, object]:
    started = await api.post("/api/v1/datastores/Customers/ingestions", headers=OPERATOR)
    assert started.status_code == 202, started.text
    return await ended_run(api, started.json()["id"])


async def _rows(warehouse: asyncpg.Connection) -> list[tuple[int, str]]:
    rows = await warehouse.fetch(f"SELECT id, email FROM {RAW} ORDER BY id")
    return [(r["id"], r["email"]) for r in rows]


async def test_a_worker_killed_mid_merge_leaves_the_warehouse_and_fails_its_batch(
    api: httpx.AsyncClient, source: Source, warehouse_url: str
) -> None:
    assert (await _ingested(api))["state"] == "succeeded"
    await source.admin.execute(
        "UPDATE crm_customers SET email = 'new@acme.test' WHERE id = 1;"
        " DELETE FROM crm_customers WHERE id = 2"
    )
    holder = await asyncpg.connect(asyncpg_dsn(warehouse_url))
    observer = await asyncpg.connect(asyncpg_dsn(warehouse_url))
    try:
        before = await _rows(observer)
        lock = holder.transaction()
        await lock.start()
        await holder.execute(f"LOCK TABLE {RAW} IN SHARE MODE")
        started = await api.post("/api/v1/datastores/Customers/ingestions", headers=OPERATOR)
        run_id = started.json()["id"]

        async def waiting() -> int | None:
            pid: int | None = await observer.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))",
                holder.get_server_pid(),
            )
            return pid

        backend = await until(waiting, "the worker's merge waiting on the raw table's lock")
        run = (await api.get(f"/api/v1/runs/{run_id}")).json()
        worker = int(run["runnerRef"].split(":")[1])  # local:<pid>:<run id>
        os.kill(worker, signal.SIGKILL)
        ended = await ended_run(api, run_id)
        await lock.rollback()

        async def gone() -> bool:
            return not await observer.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", backend
            )

        await until(gone, "the killed worker's warehouse session ended")
        assert ended["state"] == "failed", ended
        assert await _rows(observer) == before  # nothing of the killed batch
        batches = (await api.get("/api/v1/datastores/Customers/batches")).json()["items"]
        killed = batches[0]
        assert (killed["number"], killed["runId"], killed["state"]) == (2, run_id, "failed")
        assert f"the ingestion run {run_id} ended failed" in killed["reason"]

        rerun = await _ingested(api)
        assert rerun["state"] == "succeeded", rerun["logTail"]
        latest = (await api.get("/api/v1/datastores/Customers/batches")).json()["items"][0]
        counts = {k: latest[k] for k in ("number", "inserted", "updated", "deleted", "unchanged")}
        assert counts == {"number": 3, "inserted": 0, "updated": 1, "deleted": 1, "unchanged": 98}
        after = await _rows(observer)
        assert len(after) == len({key for key, _ in after}) == 99
        assert after[0] == (1, "new@acme.test") and 2 not in {key for key, _ in after}
    finally:
        await holder.close()
        await observer.close()
