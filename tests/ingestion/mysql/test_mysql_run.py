"""An ingestion run from MySQL/MariaDB: `ecoplane ingestion`, the worker process, its reader."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import store_model
from app.cli import main
from app.db.urls import asyncpg_dsn
from app.ecosystem.loader import load_texts
from app.jobs.spec import source_secret
from tests.ecosystem.modeltext import files
from tests.ingestion.mysql.conftest import MysqlSource
from tests.ingestion.runs import READER, secure, settings_for
from tests.jobs.model import python, workspace

pytestmark = pytest.mark.mysql


async def test_an_ingestion_run_reads_mysql_and_its_reader_follows(
    prefix: str,
    mysql_source: MysqlSource,
    engine: AsyncEngine,
    database_url: str,
    warehouse_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    analytics = workspace(
        "CustomerAnalytics", [("Customers", "customers")], READER, "{onInputChange: true}",
        python("ok"), "MaskedCustomers",
    )  # fmt: skip
    model = load_texts(
        files(
            {
                "zones/usa/customers.yaml": mysql_source.store_text(),
                "zones/usa/analytics.yaml": analytics,
            }
        )
    )
    assert model.errors == 0, [p.as_line() for p in model.problems]
    await store_model(engine, model, source="mysql-run")
    settings = settings_for(database_url, warehouse_url, tmp_path, prefix)
    secrets = settings.data_dir / "secrets"
    secrets.mkdir(parents=True, exist_ok=True)
    login = {"user": mysql_source.login.user, "password": mysql_source.login.password}
    (secrets / f"{source_secret('crm_reader')}.json").write_text(json.dumps(login))
    await secure(settings)
    monkeypatch.setenv("ECOPLANE_ROLE_PREFIX", prefix)
    monkeypatch.setenv("ECOPLANE_MANAGED_MARKER", f"{prefix}managed")
    monkeypatch.setenv("ECOPLANE_DATABASE_URL", database_url)
    monkeypatch.setenv("ECOPLANE_WAREHOUSE_URL", warehouse_url)
    monkeypatch.setenv("ECOPLANE_DATA_DIR", str(tmp_path))

    assert await asyncio.to_thread(main, ["ingestion", "Customers"]) == 0
    run = json.loads(capsys.readouterr().out)
    assert (run["kind"], run["state"]) == ("ingestion", "succeeded")
    assert '"inserted": 100' in run["log_tail"]
    assert mysql_source.login.password not in run["log_tail"]
    warehouse = await asyncpg.connect(asyncpg_dsn(warehouse_url))
    try:
        count = await warehouse.fetchval("SELECT count(*) FROM raw.customers__customers")
    finally:
        await warehouse.close()
    assert count == 100
    assert await asyncio.to_thread(main, ["runs", "--target", READER, "--format", "json"]) == 0
    (reader,) = json.loads(capsys.readouterr().out)
    assert (reader["state"], reader["trigger"]) == ("succeeded", "input-change")
