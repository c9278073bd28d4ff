"""Which runs emit openlineage.run, in the transaction of their change; lineage never fails a run."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.rebuild import KeptModels
from app.catalog.store import store_model
from app.db.run_table import RunKind, RunState
from app.db.urls import asyncpg_dsn
from app.ecosystem.model import Model
from app.jobs.run_lineage import RunLineage, nominal_time
from app.jobs.runners.base import Outcome
from app.jobs.runs import RunRequest, cancel_run, create_run, finish_runs, mark_many_running
from app.settings import Settings
from tests.jobs.model import jobs_model


@pytest.fixture
async def db(engine: AsyncEngine, database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the test database, the jobs model stored and active."""
    await store_model(engine, jobs_model(), source="lineage-test")
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    yield connection
    await connection.close()


def lineage(model_of: Any = None) -> RunLineage:
    settings = Settings(openlineage_url="http://127.0.0.1:9/lineage", data_dir=Path("/nonexistent"))
    made = RunLineage.of(settings, model_of or KeptModels().model)
    assert made is not None
    return made


async def _run(db: asyncpg.Connection, kind: RunKind, target: str, **more: Any) -> int:
    version = await db.fetchval("SELECT id FROM model_versions WHERE state = 'active'")
    run, _ = await create_run(db, RunRequest(kind, target, "manual", version, **more))
    return run.id


async def sent(db: asyncpg.Connection) -> list[tuple[str, str, str]]:
    """(subject, job, eventType) of every openlineage.run event, in order."""
    rows = await db.fetch(
        "SELECT subject, data->'job'->>'name' AS job, data->>'eventType' AS type FROM events"
        " WHERE type = 'openlineage.run' ORDER BY position"
    )
    return [(r["subject"], r["job"], r["type"]) for r in rows]


async def test_transformer_and_ingestion_runs_send_events_and_the_others_none(
    db: asyncpg.Connection,
) -> None:
    transformer = await _run(db, RunKind.TRANSFORMER, "chain_a")
    ingestion = await _run(db, RunKind.INGESTION, "Customers")
    sync = await _run(db, RunKind.SECURITY_SYNC, "security-sync")
    builtin = await _run(db, RunKind.EXTERNALIZE_MODEL, "externalize")
    every = [transformer, ingestion, sync, builtin]
    await mark_many_running(db, [(run, f"local-{run}", 1) for run in every], lineage())
    assert sorted(await sent(db)) == [
        (f"run/{transformer}", "transformer.chain_a", "START"),
        (f"run/{ingestion}", "ingestion.Customers", "START"),
    ]
    ends = [(transformer, Outcome(RunState.SUCCEEDED, 0)), (ingestion, Outcome(RunState.LOST))]
    await finish_runs(db, [*ends, *((r, Outcome(RunState.FAILED, 1)) for r in (sync, builtin))],
                      lineage())  # fmt: skip
    assert sorted((await sent(db))[2:]) == [
        (f"run/{transformer}", "transformer.chain_a", "COMPLETE"),
        (f"run/{ingestion}", "ingestion.Customers", "FAIL"),
    ]


async def test_without_a_lineage_nothing_is_sent(db: asyncpg.Connection) -> None:
    assert RunLineage.of(Settings(), KeptModels().model) is None  # no ECOPLANE_OPENLINEAGE_URL
    run = await _run(db, RunKind.TRANSFORMER, "chain_a")
    await mark_many_running(db, [(run, "local-1", 1)])
    await finish_runs(db, [(run, Outcome(RunState.SUCCEEDED, 0))])
    assert await sent(db) == []


async def test_a_cancelled_run_sends_fail_only_when_it_had_started(db: asyncpg.Connection) -> None:
    queued = await _run(db, RunKind.TRANSFORMER, "chain_a")
    await cancel_run(db, queued, lineage())  # never started: it sent no START, nothing to end
    running = await _run(db, RunKind.TRANSFORMER, "chain_a")
    await mark_many_running(db, [(running, "local-2", 1)], lineage())
    await cancel_run(db, running, lineage())
    assert await sent(db) == [
        (f"run/{running}", "transformer.chain_a", "START"),
        (f"run/{running}", "transformer.chain_a", "FAIL"),
    ]
    message = await db.fetchval(
        "SELECT data->'run'->'facets'->'errorMessage'->>'message' FROM events"
        " WHERE type = 'openlineage.run' AND data->>'eventType' = 'FAIL'"
    )
    assert message == "cancelled on request"


async def failing_read(connection: asyncpg.Connection, version_id: int) -> Model:
    """A test double of the model reader whose query fails in the database."""
    await connection.execute("SELECT * FROM no_such_model_table")
    raise AssertionError("unreachable")


async def test_a_model_that_cannot_be_read_sends_no_datasets_and_the_run_goes_on(
    db: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "ecoplane.events")
    run = await _run(db, RunKind.TRANSFORMER, "chain_a")
    started = await mark_many_running(db, [(run, "local-3", 1)], lineage(failing_read))
    assert started == {run}  # the failed read was rolled back to its savepoint only
    state = await db.fetchval("SELECT state FROM runs WHERE id = $1", run)
    assert state == "running"
    data = await db.fetchval(
        "SELECT data::text FROM events WHERE type = 'openlineage.run' AND subject = $1",
        f"run/{run}",
    )
    assert '"inputs": []' in data and '"outputs": []' in data
    [line] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert f"run {run} (transformer chain_a)" in line.getMessage()
    assert "no_such_model_table" in line.getMessage()
    assert line.__dict__["run_id"] == run


async def test_a_version_is_rebuilt_once_and_kept(db: asyncpg.Connection) -> None:
    kept = KeptModels(size=1)
    version = await db.fetchval("SELECT id FROM model_versions WHERE state = 'active'")
    first = await kept.model(db, version)
    assert await kept.model(db, version) is first
    assert sorted(first.transformers) == sorted(jobs_model().transformers)


def test_a_cron_run_carries_the_minute_it_was_due() -> None:
    from datetime import UTC, datetime

    from app.jobs.runs import Run

    def run(trigger: str, key: str | None) -> Run:
        at = datetime(2026, 12, 3, tzinfo=UTC)
        return Run(1, RunKind.TRANSFORMER, "t", 1, trigger, RunState.RUNNING, 1, None, None, None,
                   None, key, None, at, at, None)  # fmt: skip

    assert nominal_time(run("schedule", "tick-20261203T0930Z")) == datetime(
        2026, 12, 3, 9, 30, tzinfo=UTC
    )
    assert nominal_time(run("manual", "tick-20261203T0930Z")) is None
    assert nominal_time(run("schedule", "my-own-key")) is None


async def test_the_model_is_read_before_the_transaction_that_records_the_change(
    db: asyncpg.Connection,
) -> None:
    kept = KeptModels()
    reads: list[int] = []  # per read of the model: 1 when its transaction had written rows

    async def recording_read(connection: asyncpg.Connection, version_id: int) -> Model:
        """A test double of the model reader that records where it was called from."""
        reads.append(await connection.fetchval("SELECT count(*) FROM pg_stat_activity"
                                               " WHERE pid = pg_backend_pid()"
                                               " AND backend_xid IS NOT NULL"))  # fmt: skip
        return await kept.model(connection, version_id)

    run = await _run(db, RunKind.TRANSFORMER, "chain_a")
    await mark_many_running(db, [(run, "local-4", 1)], lineage(recording_read))
    # read first before the run's row was written (no transaction held open for a rebuild),
    # then (kept: at once) in the transaction that wrote it, for its START
    assert reads == [0, 1] and (await sent(db))[0][2] == "START"
