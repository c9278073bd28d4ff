"""/metrics of the work: runs counted where they end, and the last 24 h counted from the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import StoredVersion, store_model
from app.db.urls import asyncpg_dsn
from app.settings import Settings
from tests.api.conftest import TOKENS, client_for, ended_run, store_acme, token_entries
from tests.jobs.conftest import give_credentials, until
from tests.jobs.model import jobs_model

OPERATOR = {"Authorization": f"Bearer {TOKENS['operator']}"}


def _settings(database_url: str, tmp_path: Path) -> Settings:
    """The service with its scheduler off: only what the test starts runs."""
    return Settings(
        database_url=database_url, data_dir=tmp_path, anonymous_read=True,
        tokens=token_entries(), scheduler=False,
    )  # fmt: skip


@pytest.fixture
async def jobs_api(
    database_url: str, engine: AsyncEngine, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """The service with the jobs model active and its transformers' credentials given."""
    await store_model(engine, jobs_model(), source="jobs-test")
    settings = _settings(database_url, tmp_path)
    await give_credentials(settings, *jobs_model().transformers)
    async for client in client_for(settings):
        yield client


def _value(text: str, series: str) -> float | None:
    """The value of one series (`name{labels}`) in an exposition, None when absent."""
    for line in text.splitlines():
        name, _, value = line.rpartition(" ")
        if name == series:
            return float(value)
    return None


async def test_runs_are_counted_by_kind_and_final_state_as_they_end(
    jobs_api: httpx.AsyncClient,
) -> None:
    chain_a = (await jobs_api.post("/api/v1/transformers/chain_a/runs", headers=OPERATOR)).json()
    assert (await ended_run(jobs_api, chain_a["id"]))["state"] == "succeeded"

    async def chain_b_ended() -> bool:  # chain_a's success starts chain_b (onInputChange)
        runs = (await jobs_api.get("/api/v1/runs", params={"target": "chain_b"})).json()
        return any(run["state"] == "succeeded" for run in runs["items"])

    await until(chain_b_ended, "chain_b's run after chain_a")
    fail_a = (await jobs_api.post("/api/v1/transformers/fail_a/runs", headers=OPERATOR)).json()
    assert (await ended_run(jobs_api, fail_a["id"]))["state"] == "failed"

    text = (await jobs_api.get("/metrics")).text
    transformer = 'kind="transformer"'
    assert _value(text, f'ecoplane_runs_total{{{transformer},state="succeeded"}}') == 2.0
    assert _value(text, f'ecoplane_runs_total{{{transformer},state="failed"}}') == 1.0
    assert _value(text, f"ecoplane_run_duration_seconds_count{{{transformer}}}") == 3.0
    assert (_value(text, f"ecoplane_run_duration_seconds_sum{{{transformer}}}") or 0) > 0
    assert _value(text, f'ecoplane_runs_last_24h{{{transformer},state="succeeded"}}') == 2.0
    assert _value(text, f'ecoplane_runs_last_24h{{{transformer},state="failed"}}') == 1.0
    assert _value(text, 'ecoplane_runs_last_24h{kind="security-sync",state="failed"}') == 0.0
    assert _value(text, "ecoplane_leader") == 0.0  # its scheduler is off: it never leads


@pytest.fixture
async def recorded(engine: AsyncEngine, database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the service's database, acme active, the work of a day recorded."""
    acme = await store_acme(engine)
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    await _record_work(connection, acme)
    yield connection
    await connection.close()


async def _sync(
    connection: asyncpg.Connection, version: int, hours_ago: float, phases: list[str]
) -> None:
    """An applied security sync of a version, with one operation per phase given."""
    sync = await connection.fetchval(
        "INSERT INTO security_syncs (model_version_id, operations, applied_at)"
        " VALUES ($1, $2, now() - make_interval(secs => $3)) RETURNING id",
        version, len(phases), hours_ago * 3600,
    )  # fmt: skip
    for ordinal, phase in enumerate(phases, start=1):
        await connection.execute(
            "INSERT INTO security_sync_operations VALUES ($1, $2, $3, 'op', 't', 'why', 'SQL')",
            sync, ordinal, phase,
        )  # fmt: skip


async def _record_work(connection: asyncpg.Connection, acme: StoredVersion) -> None:
    """Runs, ingests, batches and syncs of the last day, and some older ones."""
    ended = "INSERT INTO runs (kind, target, trigger, state, started_at, finished_at)"
    for kind, state, hours in [
        ("transformer", "failed", 1), ("transformer", "failed", 2), ("transformer", "lost", 3),
        ("security-sync", "succeeded", 1), ("transformer", "failed", 30),  # older: left out
    ]:  # fmt: skip
        await connection.execute(
            f"{ended} VALUES ($1, 't', 'manual', $2, now() - make_interval(hours => $3 + 1),"
            " now() - make_interval(hours => $3))",
            kind, state, hours,
        )  # fmt: skip
    for state, hours in [("active", 1), ("rejected", 2), ("rejected", 3), ("rejected", 40)]:
        await connection.execute(
            "INSERT INTO ingests (trigger, ref, state, finished_at)"
            " VALUES ('manual', 'main', $1, now() - make_interval(hours => $2))",
            state, hours,
        )  # fmt: skip
    for state, hours, counts in [
        ("succeeded", 1, (5, 2, 1, 10)), ("succeeded", 2, (1, 0, 0, 0)),
        ("failed", 1, (100, 100, 100, 100)), ("succeeded", 48, (100, 100, 100, 100)),
    ]:  # fmt: skip
        await connection.execute(
            "INSERT INTO batches (datastore, number, kind, milestoning, state, inserted, updated,"
            " deleted, unchanged, finished_at) VALUES ('Customers',"
            " (SELECT count(*) + 1 FROM batches), 'sql-snapshot', 'live', $1, $2, $3, $4, $5,"
            " now() - make_interval(hours => $6))",
            state, *counts, hours,
        )  # fmt: skip
    version = acme.id
    await _sync(connection, version, 5, ["roles", "roles", "grant"])  # the version's first sync
    await _sync(connection, version, 4, ["revoke", "roles"])  # the warehouse drifted
    await connection.execute(  # a rollback activates the version again: not drift
        "INSERT INTO model_version_activations (version_id, kind, activated_by, reason,"
        " activated_at) VALUES ($1, 'rollback', 'test', 'why', now() - interval '3 hours')",
        version,
    )
    await _sync(connection, version, 2, ["views"])
    await _sync(connection, version, 30, ["drop"])  # older than a day


async def test_the_last_24_hours_are_counted_from_the_database(
    recorded: asyncpg.Connection, database_url: str, tmp_path: Path
) -> None:
    async for api in client_for(_settings(database_url, tmp_path)):
        text = (await api.get("/metrics")).text
    expected: dict[str, Any] = {
        'ecoplane_runs_last_24h{kind="transformer",state="failed"}': 2.0,
        'ecoplane_runs_last_24h{kind="transformer",state="lost"}': 1.0,
        'ecoplane_runs_last_24h{kind="security-sync",state="succeeded"}': 1.0,
        'ecoplane_runs_last_24h{kind="ingestion",state="failed"}': 0.0,
        'ecoplane_ingests_last_24h{outcome="active"}': 1.0,
        'ecoplane_ingests_last_24h{outcome="rejected"}': 2.0,
        'ecoplane_ingests_last_24h{outcome="failed"}': 0.0,
        'ecoplane_ingestion_rows_last_24h{change="inserted"}': 6.0,
        'ecoplane_ingestion_rows_last_24h{change="updated"}': 2.0,
        'ecoplane_ingestion_rows_last_24h{change="deleted"}': 1.0,
        'ecoplane_ingestion_rows_last_24h{change="unchanged"}': 10.0,
        'ecoplane_security_sync_operations_last_24h{kind="roles"}': 3.0,
        'ecoplane_security_sync_operations_last_24h{kind="grant"}': 1.0,
        'ecoplane_security_sync_operations_last_24h{kind="revoke"}': 1.0,
        'ecoplane_security_sync_operations_last_24h{kind="views"}': 1.0,
        'ecoplane_security_sync_operations_last_24h{kind="drop"}': 0.0,
        'ecoplane_security_drift_operations_last_24h{kind="revoke"}': 1.0,
        'ecoplane_security_drift_operations_last_24h{kind="roles"}': 1.0,
        'ecoplane_security_drift_operations_last_24h{kind="grant"}': 0.0,
        'ecoplane_security_drift_operations_last_24h{kind="views"}': 0.0,
    }
    assert {series: _value(text, series) for series in expected} == expected
