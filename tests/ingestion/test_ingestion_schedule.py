"""A datastore's cron trigger starts its ingestion, once per tick; kinds not run are not scheduled."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import store_model
from app.db.engine import create_pool
from app.examples.embedded_default import with_example_path
from app.jobs.runners.local import LocalRunner
from app.jobs.scheduler import Scheduler, tick_key
from app.jobs.service import JobService
from app.resources import with_run_subscribers
from app.security.secrets.run_secrets import run_secrets
from app.settings import Settings
from tests.ingestion.conftest import Source
from tests.ingestion.runs import give_source_login, ingested_model, secure, settings_for
from tests.jobs.conftest import run_of

T = datetime(2026, 12, 2, 10, 5, tzinfo=UTC)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the control-plane database."""
    created = await create_pool(database_url)
    yield created
    await created.close()


@pytest.fixture
async def service(
    prefix: str,
    pool: asyncpg.Pool,
    source: Source,
    database_url: str,
    warehouse_url: str,
    tmp_path: Path,
) -> AsyncIterator[JobService]:
    """A job service with the local runner; the source login in the local store."""
    settings = settings_for(database_url, warehouse_url, tmp_path, prefix)
    give_source_login(settings, source)
    runner = LocalRunner(settings, run_secrets(settings), database_url)
    created = with_run_subscribers(JobService(pool, settings, runner))
    yield created
    await created.close()


async def _leading(service: JobService, pool: asyncpg.Pool) -> Scheduler:
    scheduler = Scheduler(service, pool, service.settings)
    await scheduler.lead()
    return scheduler


async def test_a_cron_tick_starts_one_ingestion_run(
    service: JobService, pool: asyncpg.Pool, source: Source, engine: AsyncEngine
) -> None:
    await store_model(engine, ingested_model(source, cron="*/5 * * * *"), source="cron-test")
    await secure(service.settings)  # the raw table and di_customers
    scheduler = await _leading(service, pool)
    try:
        assert "ingest:Customers" in scheduler.jobs()
        run_id = await scheduler.fire_ingestion("Customers", T)
        assert run_id is not None
        assert await scheduler.fire_ingestion("Customers", T) is None  # the same tick again
        await service.idle()
        run = await run_of(pool, run_id)
        assert (run.kind, run.trigger, run.idempotency_key) == (
            "ingestion",
            "schedule",
            tick_key(T),
        )
        assert run.state == "succeeded", run.log_tail
    finally:
        await scheduler.step_down()


async def test_a_datastore_ecoplane_does_not_ingest_is_not_scheduled(
    service: JobService, pool: asyncpg.Pool, source: Source, engine: AsyncEngine
) -> None:
    await store_model(engine, ingested_model(source, "cdc", "*/5 * * * *"), source="cdc-cron")
    scheduler = await _leading(service, pool)
    try:
        assert "ingest:Customers" not in scheduler.jobs()
        assert await scheduler.fire_ingestion("Customers", T) is None  # refused, logged
    finally:
        await scheduler.step_down()


async def test_with_the_schedule_off_no_ingestion_is_scheduled(
    service: JobService, pool: asyncpg.Pool, source: Source, engine: AsyncEngine
) -> None:
    await store_model(engine, ingested_model(source, cron="*/5 * * * *"), source="cron-off")
    off = service.settings.model_copy(update={"ingestion_schedule": False})
    scheduler = Scheduler(service, pool, off)
    await scheduler.lead()
    try:
        assert "ingest:Customers" not in scheduler.jobs()
        assert "reconcile" in scheduler.jobs()  # the rest is scheduled as before
    finally:
        await scheduler.step_down()


async def test_a_named_schedule_registers_exactly_those_datastores_cron_jobs(
    service: JobService,
    pool: asyncpg.Pool,
    source: Source,
    engine: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    model = ingested_model(source, cron="*/5 * * * *", more_stores=("Orders", "Ledger"))
    await store_model(engine, model, source="cron-named")
    named = service.settings.model_copy(update={"ingestion_schedule": ("Orders", "Missing")})
    scheduler = Scheduler(service, pool, named)
    with caplog.at_level(logging.WARNING, logger="ecoplane.scheduler"):
        await scheduler.lead()
    try:
        ingestions = {job for job in scheduler.jobs() if job.startswith("ingest:")}
        assert ingestions == {"ingest:Orders"}
        assert "reconcile" in scheduler.jobs()
        warned = [r.getMessage() for r in caplog.records if "Missing" in r.getMessage()]
        assert warned and "does not ingest on a cron trigger" in warned[0], caplog.text
    finally:
        await scheduler.step_down()
    every = Scheduler(service, pool, service.settings)  # true: every cron ingestion
    await every.lead()
    try:
        found = {job for job in every.jobs() if job.startswith("ingest:")}
        assert found == {"ingest:Customers", "ingest:Orders", "ingest:Ledger"}
    finally:
        await every.step_down()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("false", False),
        (" FALSE ", False),
        ("ReferenceData", ("ReferenceData",)),
        ("ReferenceData, Orders", ("ReferenceData", "Orders")),
    ],
)
def test_the_schedule_setting_reads_true_false_or_names(
    monkeypatch: pytest.MonkeyPatch, text: str, expected: object
) -> None:
    monkeypatch.setenv("ECOPLANE_INGESTION_SCHEDULE", text)
    assert Settings().ingestion_schedule == expected


def test_an_empty_name_in_the_schedule_setting_is_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ECOPLANE_INGESTION_SCHEDULE", "ReferenceData,,Orders")
    with pytest.raises(ValidationError, match="ingestion_schedule") as raised:
        Settings()
    assert "an empty datastore name in 'ReferenceData,,Orders'" in str(raised.value)


def test_the_example_schedules_reference_data_alone_unless_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ECOPLANE_INGESTION_SCHEDULE", raising=False)
    assert Settings().ingestion_schedule is True
    # its other sources are not real: only ReferenceData's cron
    assert with_example_path(Settings()).ingestion_schedule == ("ReferenceData",)
    assert with_example_path(Settings(load_example=False)).ingestion_schedule is True
    monkeypatch.setenv("ECOPLANE_INGESTION_SCHEDULE", "true")
    assert with_example_path(Settings()).ingestion_schedule is True  # set: kept
    monkeypatch.setenv("ECOPLANE_INGESTION_SCHEDULE", "false")
    assert with_example_path(Settings()).ingestion_schedule is False
