"""An ingestion run of the real service posts its OpenLineage events to a real receiver: START
then COMPLETE with one runId, the source's table in, the raw table out, the model's columns."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app.events.lineage_datasets import address_of_url
from tests.api.conftest import TOKENS, ended_run
from tests.events.openlineage_spec import check_run_event
from tests.events.receiver import Receiver
from tests.ingestion.conftest import Source
from tests.ingestion.runs import served
from tests.jobs.conftest import until

OPERATOR = {"Authorization": f"Bearer {TOKENS['operator']}"}
LINEAGE_PATH = "/api/v1/lineage"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """The OpenLineage endpoint: a real HTTP server on 127.0.0.1 recording what it is posted."""
    made = Receiver()
    await made.start()
    yield made
    await made.stop()


@pytest.fixture
async def api(
    prefix: str, source: Source, engine: AsyncEngine, database_url: str, warehouse_url: str,
    tmp_path: Path, receiver: Receiver,
) -> AsyncIterator[httpx.AsyncClient]:  # fmt: skip
    """The service with Customers ingested from the source, its lineage sent to the receiver."""
    async for client in served(
        engine, source, database_url, warehouse_url, tmp_path, prefix, "lineage-test",
        openlineage_url=f"{receiver.url}{LINEAGE_PATH}",
    ):  # fmt: skip
        yield client


def posted(receiver: Receiver, job: str) -> list[dict[str, Any]] | None:
    events = [json.loads(r.body) for r in receiver.received if r.path == LINEAGE_PATH]
    found = [e for e in events if e["job"]["name"] == job]
    return found if len(found) >= 2 else None


async def test_an_ingestion_run_sends_start_then_complete_from_source_to_raw_table(
    api: httpx.AsyncClient, receiver: Receiver, source: Source, warehouse_url: str
) -> None:
    started = await api.post("/api/v1/datastores/Customers/ingestions", headers=OPERATOR)
    assert started.status_code == 202, started.text
    assert (await ended_run(api, started.json()["id"]))["state"] == "succeeded"
    start, complete = await until(lambda: _posted(receiver), "START and COMPLETE of Customers")
    assert [start["eventType"], complete["eventType"]] == ["START", "COMPLETE"]
    assert start["run"]["runId"] == complete["run"]["runId"]
    warehouse = address_of_url(warehouse_url)
    for event in (start, complete):
        check_run_event(event)
        assert event["job"]["facets"]["jobType"]["jobType"] == "INGESTION"
        [read] = event["inputs"]
        assert read["namespace"] == f"postgres://{source.host}:{source.port}"
        assert read["name"] == f"{source.database}.public.crm_customers"
        [wrote] = event["outputs"]
        assert wrote["namespace"] == warehouse.namespace
        assert wrote["name"] == f"{make_url(warehouse_url).database}.raw.customers__customers"
        columns = [(f["name"], f["type"]) for f in wrote["facets"]["schema"]["fields"]]
        assert columns == [
            ("id", "bigint"),
            ("email", "varchar(255)"),
            ("balance", "decimal(18,4)"),
        ]


async def _posted(receiver: Receiver) -> list[dict[str, Any]] | None:
    return posted(receiver, "ingestion.Customers")
