"""The run routes: start a transformer, the Idempotency-Key, 409 while active, list, read, cancel."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.schemas.workspaces import TransformerOut
from app.catalog.store import store_model
from app.settings import Settings
from tests.api.conftest import TOKENS, client_for, ended_run, token_entries
from tests.api.pages import assert_names_parameter, walk
from tests.jobs.conftest import give_credentials
from tests.jobs.model import jobs_model

OPERATOR = {"Authorization": f"Bearer {TOKENS['operator']}"}
READER = {"Authorization": f"Bearer {TOKENS['reader']}"}


@pytest.fixture
async def api(
    prefix: str, database_url: str, engine: AsyncEngine, tmp_path: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the service with the jobs model active; the scheduler off; a security sync
    manages the test's own database with the test's own roles."""
    await store_model(engine, jobs_model(), source="jobs-test")
    settings = Settings(
        database_url=database_url,
        warehouse_url=database_url,
        role_prefix=prefix,
        security_marker=f"{prefix}managed",
        data_dir=tmp_path,
        anonymous_read=True,
        tokens=token_entries(),
        scheduler=False,
    )
    await give_credentials(settings, *jobs_model().transformers)  # as a security sync would
    async for client in client_for(settings):
        yield client


async def test_start_a_transformer_and_read_its_run(api: httpx.AsyncClient) -> None:
    started = await api.post("/api/v1/transformers/chain_a/runs", headers=OPERATOR)
    assert started.status_code == 202, started.text
    body = started.json()
    assert body["state"] == "queued" and body["trigger"] == "manual"
    assert body["requestedBy"] == "operator" and body["kind"] == "transformer"
    ended = await ended_run(api, body["id"])
    assert ended["state"] == "succeeded" and ended["exitCode"] == 0
    assert ended["logTail"].endswith("done") and ended["runnerRef"].startswith("local:")
    transformer = (await api.get("/api/v1/transformers/chain_a")).json()
    assert transformer["lastRun"]["id"] == body["id"]
    assert transformer["lastRun"]["state"] == "succeeded"
    # the latest run is rendered as the run's own answer, key for key and time for time
    assert transformer["lastRun"] == (await api.get(f"/api/v1/runs/{body['id']}")).json()
    assert TransformerOut.model_validate(transformer).model_dump(by_alias=True, mode="json") == (
        transformer
    )
    assert (await api.get("/api/v1/transformers/fail_a")).json()["lastRun"] is None


async def test_the_idempotency_key_answers_with_the_same_run(api: httpx.AsyncClient) -> None:
    headers = {**OPERATOR, "Idempotency-Key": "deploy-42"}
    first = await api.post("/api/v1/transformers/sleepy/runs", headers=headers)
    again = await api.post("/api/v1/transformers/sleepy/runs", headers=headers)
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["idempotencyKey"] == "deploy-42"
    conflict = await api.post("/api/v1/transformers/sleepy/runs", headers=OPERATOR)
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == "application/problem+json"
    assert f"run {first.json()['id']} is" in conflict.json()["detail"]
    cancelled = await api.post(f"/api/v1/runs/{first.json()['id']}/cancel", headers=OPERATOR)
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    again = await api.post(f"/api/v1/runs/{first.json()['id']}/cancel", headers=OPERATOR)
    assert again.status_code == 409 and "already ended" in again.json()["detail"]


async def test_unknown_transformer_run_and_bad_key(api: httpx.AsyncClient) -> None:
    missing = await api.post("/api/v1/transformers/nope/runs", headers=OPERATOR)
    assert missing.status_code == 404 and "'nope' does not exist" in missing.json()["detail"]
    assert (await api.get("/api/v1/runs/999")).status_code == 404
    assert (await api.post("/api/v1/runs/999/cancel", headers=OPERATOR)).status_code == 404
    bad = await api.post(
        "/api/v1/transformers/chain_a/runs", headers={**OPERATOR, "Idempotency-Key": "a b"}
    )
    assert bad.status_code == 422 and "idempotency-key" in bad.text.lower()


async def test_starting_and_cancelling_need_the_operate_scope(api: httpx.AsyncClient) -> None:
    assert (await api.post("/api/v1/transformers/chain_a/runs")).status_code == 401
    assert (await api.post("/api/v1/transformers/chain_a/runs", headers=READER)).status_code == 403
    assert (await api.post("/api/v1/runs/1/cancel", headers=READER)).status_code == 403


async def test_runs_are_listed_newest_first_with_filters_and_pages(api: httpx.AsyncClient) -> None:
    ids = []
    for name in ("chain_a", "fail_a", "chain_a"):
        started = (await api.post(f"/api/v1/transformers/{name}/runs", headers=OPERATOR)).json()
        await ended_run(api, started["id"])
        ids.append(started["id"])
    runs = await walk(api, "/api/v1/runs", "target=chain_a", limit=1)
    assert [r["id"] for r in runs if r["trigger"] == "manual"] == [ids[2], ids[0]]
    failed = (await api.get("/api/v1/runs?state=failed")).json()["items"]
    assert [r["id"] for r in failed] == [ids[1]]
    everything = (await api.get("/api/v1/runs?kind=transformer")).json()["items"]
    assert [r["id"] for r in everything] == sorted((r["id"] for r in everything), reverse=True)
    await assert_names_parameter(api, "/api/v1/runs?state=dreaming", "state")
    await assert_names_parameter(api, "/api/v1/runs?cursor=zz", "cursor")


async def test_a_security_sync_run_is_recorded(api: httpx.AsyncClient, prefix: str) -> None:
    headers = {**OPERATOR, "Idempotency-Key": "sync-1"}
    started = await api.post("/api/v1/security/runs", headers=headers)
    assert started.status_code == 202, started.text
    run = started.json()
    assert (run["kind"], run["target"], run["trigger"]) == (
        "security-sync",
        "security-sync",
        "manual",
    )
    again = await api.post("/api/v1/security/runs", headers=headers)
    assert again.status_code == 200 and again.json()["id"] == run["id"]
    ended = await ended_run(api, run["id"])  # the worker reached the service's database: no model
    # the worker ran with the service's configuration: its database, warehouse and roles
    assert ended["state"] == "succeeded", ended["logTail"]
    assert re.search(rf"{prefix}d[ti]_", ended["logTail"])  # a transformer's or ingestion's role
    assert (await api.post("/api/v1/security/runs", headers=READER)).status_code == 403
