"""Transformer runs on the real local runner post their OpenLineage events to a real receiver:
START then COMPLETE or FAIL with one runId, the datasets named as docs/openlineage.md says, the
model's columns as schema facets, every event a RunEvent of the spec."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import store_model
from app.db.urls import asyncpg_dsn
from app.events.worker import DeliveryWorker
from app.jobs.service import JobService
from app.resources import job_service
from app.settings import Settings
from tests.events.conftest import event_settings, subscribe
from tests.events.openlineage_spec import check_run_event
from tests.events.receiver import Receiver
from tests.jobs.conftest import give_credentials, run_of, until
from tests.jobs.model import jobs_model

WAREHOUSE = "postgres://warehouse.test:6543"
LINEAGE_PATH = "/api/v1/lineage"


@pytest.fixture
async def pool(database_url: str, engine: AsyncEngine) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the test database, the jobs model stored and active."""
    await store_model(engine, jobs_model(), source="lineage-test")
    made = await asyncpg.create_pool(asyncpg_dsn(database_url), min_size=1, max_size=6)
    yield made
    await made.close()


@pytest.fixture
async def receiver(receivers: Any) -> Receiver:
    """The OpenLineage endpoint: a real HTTP server recording what it is posted."""
    made: Receiver = await receivers()
    return made


def lineage_settings(database_url: str, receiver: Receiver, data_dir: Path) -> Settings:
    return event_settings(
        database_url, [], openlineage_url=f"{receiver.url}{LINEAGE_PATH}", data_dir=data_dir,
        warehouse_url="postgresql://owner:hunter2@warehouse.test:6543/warehouse", scheduler=False,
    )  # fmt: skip


@pytest.fixture
async def service(
    pool: asyncpg.Pool, database_url: str, receiver: Receiver, tmp_path: Path
) -> AsyncIterator[JobService]:
    """The service's job service (app.resources.job_service: the local runner, the lineage of
    ECOPLANE_OPENLINEAGE_URL) and a delivery worker posting the outbox to the receiver."""
    settings = lineage_settings(database_url, receiver, tmp_path)
    await subscribe(pool, settings)
    await give_credentials(settings, *jobs_model().transformers)
    jobs = job_service(settings, database_url, pool)
    worker = DeliveryWorker(pool, asyncpg_dsn(database_url), settings, poll_seconds=0.2)
    await worker.start()
    yield jobs
    await jobs.close()
    await worker.stop()


def posted(receiver: Receiver, job: str) -> list[dict[str, Any]]:
    """The OpenLineage events the receiver got for a job, in the order they came."""
    events = [json.loads(r.body) for r in receiver.received if r.path == LINEAGE_PATH]
    return [e for e in events if e["job"]["name"] == job]


async def events_of(receiver: Receiver, job: str, count: int) -> list[dict[str, Any]]:
    return await until(  # type: ignore[no-any-return]
        lambda: _at_least(posted(receiver, job), count), f"{count} events of {job}"
    )


async def _at_least(events: list[dict[str, Any]], count: int) -> list[dict[str, Any]] | None:
    return events if len(events) >= count else None


def schema(dataset: dict[str, Any]) -> list[dict[str, Any]]:
    return dataset["facets"]["schema"]["fields"]  # type: ignore[no-any-return]


async def test_a_run_that_succeeds_sends_start_then_complete_with_its_datasets(
    service: JobService, pool: asyncpg.Pool, receiver: Receiver
) -> None:
    run, _ = await service.start_transformer("chain_a", "manual")
    start, complete = await events_of(receiver, "transformer.chain_a", 2)
    assert (await run_of(pool, run.id)).state == "succeeded"
    assert [start["eventType"], complete["eventType"]] == ["START", "COMPLETE"]
    assert start["run"]["runId"] == complete["run"]["runId"]
    for event in (start, complete):
        check_run_event(event)  # a RunEvent of the spec, key for key
        assert event["job"]["namespace"] == "ecoplane"
        assert event["job"]["facets"]["jobType"]["jobType"] == "TRANSFORMER"
        [read] = event["inputs"]  # Customers is ingested: its raw table in the warehouse
        assert (read["namespace"], read["name"]) == (
            WAREHOUSE,
            "warehouse.raw.customers__customers",
        )
        assert [f["name"] for f in schema(read)] == ["id", "email", "country", "balance"]
        assert schema(read)[3] == {"name": "balance", "type": "decimal(18,4)"}
        [wrote] = event["outputs"]
        assert (wrote["namespace"], wrote["name"]) == (WAREHOUSE, "warehouse.out_chain_a.rows")
        assert schema(wrote) == [{"name": "id", "type": "bigint"}]
    assert "hunter2" not in receiver.received[0].body.decode()  # never the warehouse password
    # chain_b follows on input change: it reads what chain_a wrote, under the same name
    follow = await events_of(receiver, "transformer.chain_b", 2)
    assert [e["eventType"] for e in follow] == ["START", "COMPLETE"]
    assert [d["name"] for d in follow[0]["inputs"]] == ["warehouse.out_chain_a.rows"]
    assert follow[0]["run"]["runId"] != start["run"]["runId"]


async def test_a_run_that_fails_sends_fail_with_its_reason(
    service: JobService, pool: asyncpg.Pool, receiver: Receiver
) -> None:
    run, _ = await service.start_transformer("fail_a", "manual")
    start, fail = await events_of(receiver, "transformer.fail_a", 2)
    ended = await run_of(pool, run.id)
    assert ended.state == "failed" and ended.reason
    assert [start["eventType"], fail["eventType"]] == ["START", "FAIL"]
    assert start["run"]["runId"] == fail["run"]["runId"]
    check_run_event(fail)
    error = fail["run"]["facets"]["errorMessage"]
    assert error["message"] == ended.reason and error["programmingLanguage"] == "python"
    assert [d["name"] for d in fail["outputs"]] == ["warehouse.out_fail_a.rows"]
    assert fail["eventTime"] >= start["eventTime"]
