"""`ecoplane ingestion DATASTORE`: starts the run here, waits for it and what it starts."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import store_model
from app.cli import main
from tests.ingestion.conftest import Source
from tests.ingestion.runs import (
    READER,
    give_source_login,
    ingested_model,
    secure,
    settings_for,
)


@pytest.fixture
async def configured(
    prefix: str,
    source: Source,
    engine: AsyncEngine,
    database_url: str,
    warehouse_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The environment of the command: the test's databases and data directory."""
    await store_model(engine, ingested_model(source), source="ingestion-cli")
    settings = settings_for(database_url, warehouse_url, tmp_path, prefix)
    give_source_login(settings, source)
    await secure(settings)
    monkeypatch.setenv("ECOPLANE_ROLE_PREFIX", prefix)
    monkeypatch.setenv("ECOPLANE_MANAGED_MARKER", f"{prefix}managed")
    monkeypatch.setenv("ECOPLANE_DATABASE_URL", database_url)
    monkeypatch.setenv("ECOPLANE_WAREHOUSE_URL", warehouse_url)
    monkeypatch.setenv("ECOPLANE_DATA_DIR", str(tmp_path))


async def test_ingestion_waits_for_the_batch_and_its_reader(
    configured: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await asyncio.to_thread(main, ["ingestion", "Customers", "--key", "cli-1"]) == 0
    run = json.loads(capsys.readouterr().out)
    assert run["kind"] == "ingestion" and run["state"] == "succeeded"
    assert '"inserted": 100' in run["log_tail"] and run["idempotency_key"] == "cli-1"
    assert await asyncio.to_thread(main, ["runs", "--target", READER, "--format", "json"]) == 0
    (reader,) = json.loads(capsys.readouterr().out)  # run here too, not left behind
    assert reader["state"] == "succeeded" and reader["trigger"] == "input-change"


async def test_ingestion_of_an_unknown_datastore_says_so(
    configured: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await asyncio.to_thread(main, ["ingestion", "Nope"]) == 2
    assert "datastore 'Nope' does not exist" in capsys.readouterr().err
