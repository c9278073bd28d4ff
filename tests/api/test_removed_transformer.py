"""A transformer that leaves the model: its schedule goes at activation, its role and secret at
the next security sync, and its runs stay readable. Through the API, with a real security sync
(the worker as a child process) on the test's own roles."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import store_model
from app.db.urls import asyncpg_dsn
from app.main import create_app
from app.security.secrets.local import LocalSecretStore
from app.settings import Settings
from tests.api.conftest import TOKENS, ended_run, token_entries
from tests.jobs.conftest import until
from tests.jobs.model import jobs_model

OPERATOR = {"Authorization": f"Bearer {TOKENS['operator']}"}
# scheduled, but never due while the test runs: a tick would race the runs the test starts
RARE = "0 0 29 2 *"


async def _sync(api: httpx.AsyncClient) -> dict[str, Any]:
    started = await api.post("/api/v1/security/runs", headers=OPERATOR)
    assert started.status_code == 202, started.text
    ended = await ended_run(api, started.json()["id"])
    assert ended["state"] == "succeeded", ended["logTail"]
    return ended


async def test_a_removed_transformer_loses_schedule_role_and_secret_not_its_runs(
    prefix: str, database_url: str, engine: AsyncEngine, tmp_path: Any
) -> None:
    await store_model(engine, jobs_model(RARE), source="with chain_a")
    settings = Settings(
        database_url=database_url, warehouse_url=database_url, role_prefix=prefix,
        security_marker=f"{prefix}managed", data_dir=tmp_path, anonymous_read=True,
        tokens=token_entries(), scheduler=False,
    )  # fmt: skip
    store = LocalSecretStore(tmp_path / "secrets" / "transformers")
    role = f"{prefix}dt_chain_a"
    database = await asyncpg.connect(asyncpg_dsn(database_url))
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            scheduler = app.state.resources.scheduler
            await scheduler.lead()  # this replica schedules (no election in this test)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as api:
                refused = await api.post("/api/v1/transformers/chain_a/runs", headers=OPERATOR)
                first = await ended_run(api, refused.json()["id"])  # no sync yet: refused
                assert first["state"] == "failed"
                assert first["reason"].startswith(f"security sync has not created role {role} yet")
                await _sync(api)
                assert await database.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
                credentials = await store.current("chain_a")
                assert credentials is not None and credentials.username == role
                started = await api.post("/api/v1/transformers/chain_a/runs", headers=OPERATOR)
                run = await ended_run(api, started.json()["id"])
                assert run["state"] == "succeeded", run
                assert f"PGUSER={role}" in run["logTail"].splitlines()  # its own role
                assert "PGPASSWORD=***" in run["logTail"].splitlines()  # it printed it: masked
                assert credentials.password not in json.dumps(run)
                assert "cron:chain_a" in scheduler.jobs()

                await store_model(engine, jobs_model(RARE, without_chain=True), source="without")

                async def unscheduled() -> bool:
                    return "cron:chain_a" not in scheduler.jobs()

                await until(unscheduled, "the schedule of chain_a went with the activation")
                assert "cron:MaskCustomers" in scheduler.jobs()
                sync = await _sync(api)
                assert not await database.fetchval(
                    "SELECT 1 FROM pg_roles WHERE rolname = $1", role
                ), sync["logTail"]
                assert await store.current("chain_a") is None
                assert not (tmp_path / "secrets" / "ecoplane-dt-chain-a.json").exists()
                old = await api.get(f"/api/v1/runs/{run['id']}")
                assert old.status_code == 200 and old.json()["state"] == "succeeded"
                assert old.json()["target"] == "chain_a"
                gone = await api.post("/api/v1/transformers/chain_a/runs", headers=OPERATOR)
                assert gone.status_code == 404
            await scheduler.step_down()
    finally:
        await database.close()
