"""Ingestion runs through the API: the real local runner, a real source, the batch it makes,
the onInputChange transformer that follows, and the refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import store_model
from app.db.urls import asyncpg_dsn
from app.jobs.spec import source_secret
from tests.api.conftest import TOKENS, ended_run
from tests.ingestion.conftest import Source
from tests.ingestion.runs import (
    READER,
    ingested_model,
    served,
)
from tests.jobs.conftest import until

OPERATOR = {"Authorization": f"Bearer {TOKENS['operator']}"}
READ = {"Authorization": f"Bearer {TOKENS['reader']}"}


@pytest.fixture
async def api(
    prefix: str,
    source: Source,
    engine: AsyncEngine,
    database_url: str,
    warehouse_url: str,
    tmp_path: Path,
) -> AsyncIterator[httpx.AsyncClient]:
    """The service with Customers ingested from the source; the security sync applied (the raw
    table, di_customers and the reader's role made, with their credentials)."""
    async for client in served(
        engine, source, database_url, warehouse_url, tmp_path, prefix, "ingestion-test"
    ):
        yield client


async def _input_change_run(api: httpx.AsyncClient, after: int) -> dict[str, object]:
    async def found() -> dict[str, object] | None:
        page = await api.get(f"/api/v1/runs?target={READER}", headers=READ)
        runs = [r for r in page.json()["items"] if r["idempotencyKey"] == f"after-run-{after}"]
        return runs[0] if runs else None

    return await until(found, f"{READER} started after run {after}")  # type: ignore[no-any-return]


async def test_an_ingestion_run_fills_the_warehouse_and_its_reader_follows(
    api: httpx.AsyncClient, source: Source, warehouse_url: str
) -> None:
    started = await api.post("/api/v1/datastores/Customers/ingestions", headers=OPERATOR)
    assert started.status_code == 202, started.text
    assert started.json()["kind"] == "ingestion" and started.json()["target"] == "Customers"
    ended = await ended_run(api, started.json()["id"])
    assert ended["state"] == "succeeded", ended["logTail"]
    assert source.login.password not in ended["logTail"]
    warehouse = await asyncpg.connect(asyncpg_dsn(warehouse_url))
    try:
        assert await warehouse.fetchval("SELECT count(*) FROM raw.customers__customers") == 100
    finally:
        await warehouse.close()
    batches = (await api.get("/api/v1/datastores/Customers/batches", headers=READ)).json()
    first = batches["items"][0]
    assert (first["number"], first["runId"], first["inserted"]) == (1, ended["id"], 100)
    follow = await _input_change_run(api, ended["id"])
    assert follow["trigger"] == "input-change"
    assert (await ended_run(api, int(str(follow["id"]))))["state"] == "succeeded"


async def test_batches_are_listed_newest_first_in_pages(api: httpx.AsyncClient) -> None:
    for _ in range(2):
        started = await api.post("/api/v1/datastores/Customers/ingestions", headers=OPERATOR)
        assert (await ended_run(api, started.json()["id"]))["state"] == "succeeded"
    batches = (await api.get("/api/v1/datastores/Customers/batches?limit=1", headers=READ)).json()
    assert batches["items"][0]["number"] == 2 and batches["items"][0]["unchanged"] == 100
    assert batches["nextCursor"] is not None
    rest = await api.get(
        f"/api/v1/datastores/Customers/batches?limit=1&cursor={batches['nextCursor']}",
        headers=READ,
    )
    assert [b["number"] for b in rest.json()["items"]] == [1] and rest.json()["nextCursor"] is None


async def test_a_failed_batch_fails_the_run_naming_why(
    api: httpx.AsyncClient, source: Source
) -> None:
    await source.admin.execute("ALTER TABLE crm_customers DROP COLUMN email")
    started = await api.post("/api/v1/datastores/Customers/ingestions", headers=OPERATOR)
    ended = await ended_run(api, started.json()["id"])
    assert ended["state"] == "failed" and ended["exitCode"] == 1
    assert "lacks column 'email'" in ended["logTail"]
    batch = (await api.get("/api/v1/datastores/Customers/batches", headers=READ)).json()["items"]
    assert batch[0]["state"] == "failed" and batch[0]["runId"] == ended["id"]


async def test_refusals_name_what_is_wrong(api: httpx.AsyncClient) -> None:
    unknown = await api.post("/api/v1/datastores/Nope/ingestions", headers=OPERATOR)
    assert unknown.status_code == 404 and "'Nope' does not exist" in unknown.json()["detail"]
    output = await api.post("/api/v1/datastores/MaskedCustomers/ingestions", headers=OPERATOR)
    assert output.status_code == 422, output.text
    assert "is not ingested: a transformer writes it" in output.json()["detail"]
    assert (
        await api.post("/api/v1/datastores/Customers/ingestions", headers=READ)
    ).status_code == 403
    no_batches = await api.get("/api/v1/datastores/Nope/batches", headers=READ)
    assert no_batches.status_code == 404
    empty = await api.get("/api/v1/datastores/Customers/batches", headers=READ)
    assert empty.json() == {"items": [], "nextCursor": None}


async def test_kinds_ecoplane_does_not_run_are_refused_naming_the_kind(
    api: httpx.AsyncClient, source: Source, engine: AsyncEngine
) -> None:
    await store_model(engine, ingested_model(source, kind="cdc"), source="cdc-test")
    refused = await api.post("/api/v1/datastores/Customers/ingestions", headers=OPERATOR)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert (
        "ingested by cdc: ecoplane runs only sql-snapshot and sql-watermark"
        in (refused.json()["detail"])
    )


async def test_a_run_without_the_source_login_is_refused_naming_the_command(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    (tmp_path / "secrets" / f"{source_secret('crm_reader')}.json").unlink()
    started = await api.post("/api/v1/datastores/Customers/ingestions", headers=OPERATOR)
    ended = await ended_run(api, started.json()["id"])
    assert ended["state"] == "failed" and ended["exitCode"] is None  # refused before it started
    assert ended["reason"] == (
        "no source login for credential 'crm_reader' in the local secret store: set it with"
        " `ecoplane credential set crm_reader --user USER --password-file FILE`"
    )
    assert (await api.get("/api/v1/datastores/Customers/batches")).json()["items"] == []


async def test_one_active_ingestion_per_datastore_and_the_idempotency_key(
    api: httpx.AsyncClient, database_url: str
) -> None:
    headers = {**OPERATOR, "Idempotency-Key": "load-7"}
    first = await api.post("/api/v1/datastores/Customers/ingestions", headers=headers)
    again = await api.post("/api/v1/datastores/Customers/ingestions", headers=headers)
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["id"] == first.json()["id"]
    await ended_run(api, first.json()["id"])
    control = await asyncpg.connect(asyncpg_dsn(database_url))
    queued = await control.fetchval(  # a run another replica queued: an active ingestion
        "INSERT INTO runs (kind, target, trigger, state) VALUES"
        " ('ingestion', 'Customers', 'manual', 'queued') RETURNING id"
    )
    try:
        busy = await api.post("/api/v1/datastores/Customers/ingestions", headers=OPERATOR)
        assert busy.status_code == 409 and f"run {queued} is" in busy.json()["detail"]
    finally:
        await control.execute("DELETE FROM runs WHERE id = $1", queued)
        await control.close()
