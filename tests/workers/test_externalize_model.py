"""`python -m workers.externalize_model`: a real control plane, a real synced warehouse, a child process."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.dashboard import grant_dashboard
from app.catalog.store import store_model
from app.db.engine import create_pool
from app.db.urls import asyncpg_dsn
from app.ecosystem.loader import load_directory
from app.ecosystem.model import Model
from app.ecosystem.model_tables import MODEL_TABLES
from app.jobs.runners.local import LocalRunner
from app.jobs.runs import get_run
from app.jobs.service import JobService
from app.resources import with_run_subscribers
from app.security import names
from app.security.dashboard import dashboard_url, ensure_local_dashboard
from app.security.secrets.local import LocalSecretStore
from app.security.secrets.run_secrets import run_secrets
from app.security.sync import SecuritySync
from app.security.warehouses.postgres_variables import libpq_variables
from app.settings import Settings
from tests.conftest import EXAMPLES
from tests.dashboard_role import DASHBOARD_ROLE
from tests.security.conftest import create_raw_tables
from tests.workers.conftest import libpq_env, run_worker

WORKER = "workers.externalize_model"
OUT = "out_externalize_model"
DASHBOARD_PASSWORD = "dashboard-Password-1"
PROBE = """\
apiVersion: ecoplane.io/v1
kind: Datastore
metadata: {name: ExportProbe, zone: USA, team: DataPlatform}
spec:
  datasets:
    - name: probes
      columns:
        - {name: id, type: bigint, primaryKey: true, nullable: false}
"""


@dataclass
class Setup:
    """A control plane with acme active, a warehouse synced for it, the export's environment."""

    engine: AsyncEngine
    version_id: int
    env: dict[str, str]
    passwords: list[str]


@pytest.fixture
async def setup(
    engine: AsyncEngine,
    database_url: str,
    warehouse: asyncpg.Connection,
    sync: SecuritySync,
    store: LocalSecretStore,
    acme_model: Model,
    password_logins: bool,
) -> Setup:
    stored = await store_model(engine, acme_model, source="acme")
    await grant_dashboard(engine, DASHBOARD_ROLE, DASHBOARD_PASSWORD)
    await create_raw_tables(warehouse, acme_model)
    await sync.apply(acme_model)  # creates out_externalize_model and dt_externalize_model
    credentials = await store.current("externalize_model")
    assert credentials is not None
    env = {
        **libpq_variables(credentials),  # the transformer's own role, as its run gets it
        "ECOPLANE_MODEL_DATABASE_URL": dashboard_url(
            database_url, DASHBOARD_ROLE, DASHBOARD_PASSWORD
        ),
        "ECOPLANE_OUTPUT_SCHEMA": OUT,
        "ECOPLANE_RUN_ID": "1",
        "ECOPLANE_TRANSFORMER": "externalize_model",
    }
    return Setup(engine, stored.id, env, [credentials.password, DASHBOARD_PASSWORD])


async def _export(env: dict[str, str]) -> tuple[int, str, str]:
    done = await asyncio.to_thread(run_worker, WORKER, env=env)
    return done.returncode, done.stdout, done.stderr


def _comparable(rows: list[asyncpg.Record]) -> Counter[tuple[object, ...]]:
    return Counter(tuple(tuple(v) if isinstance(v, list) else v for v in r) for r in rows)


async def _model_rows(database_url: str, version_id: int) -> dict[str, Counter[tuple[object, ...]]]:
    control = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        found = {}
        for name, table in MODEL_TABLES.items():
            columns = ", ".join(c.name for c in table.columns)
            found[name] = _comparable(
                await control.fetch(
                    f"SELECT {columns} FROM model_{name} WHERE version_id = $1", version_id
                )
            )
        return found
    finally:
        await control.close()


async def _exported_rows(warehouse: asyncpg.Connection) -> dict[str, Counter[tuple[object, ...]]]:
    found = {}
    for name, table in MODEL_TABLES.items():
        columns = ", ".join(c.name for c in table.columns)
        found[name] = _comparable(await warehouse.fetch(f"SELECT {columns} FROM {OUT}.{name}"))
    return found


async def _counts(connection: asyncpg.Connection, *tables: str) -> list[int]:
    return [await connection.fetchval(f"SELECT count(*) FROM {OUT}.{t}") for t in tables]


def _new_version(tmp_path: Path) -> Model:
    """acme with one more datastore."""
    root = tmp_path / "acme"
    shutil.copytree(EXAMPLES / "acme", root)
    (root / "export-probe.yaml").write_text(PROBE)
    return load_directory(root)


async def test_the_export_writes_the_active_version_and_the_workspace_reads_it(
    setup: Setup, database_url: str, warehouse: asyncpg.Connection, sync: SecuritySync
) -> None:
    status, out, err = await _export(setup.env)
    assert status == 0, err
    summary = json.loads(out)
    assert summary["modelVersion"] == setup.version_id and summary["outputSchema"] == OUT
    wanted = await _model_rows(database_url, setup.version_id)
    assert await _exported_rows(warehouse) == wanted  # jsonb and text[] values too
    assert summary["rows"] == {name: sum(rows.values()) for name, rows in wanted.items()}
    assert summary["rows"]["datastores"] > 20 and summary["rows"]["columns"] > 600
    assert f"exported model version {setup.version_id} into {OUT}" in err
    assert not [p for p in setup.passwords if p in out + err]

    # GovernanceDashboard sinks ecoplane_model: its views select from the export
    reader = names.read_role("GovernanceDashboard", sync.config.role_prefix)
    async with warehouse.transaction():
        await warehouse.execute(f'SET LOCAL ROLE "{reader}"')
        seen = await warehouse.fetch(
            "SELECT name, producer FROM ws_governancedashboard.ecoplane_model__datastores"
        )
        sinks = await warehouse.fetchval(
            "SELECT count(*) FROM ws_governancedashboard.ecoplane_model__sinks"
        )
    assert ("ecoplane_model", "externalize_model") in {tuple(r) for r in seen}
    assert len(seen) == summary["rows"]["datastores"] and sinks == summary["rows"]["sinks"]


async def test_a_new_version_replaces_the_rows_and_readers_never_see_a_mix(
    setup: Setup, warehouse_url: str, warehouse: asyncpg.Connection, tmp_path: Path
) -> None:
    assert (await _export(setup.env))[0] == 0
    old = await _counts(warehouse, "datastores", "datasets", "columns")
    second = await store_model(setup.engine, _new_version(tmp_path), source="acme+probe")
    assert second.state.value == "active" and second.id != setup.version_id

    # A reader in REPEATABLE READ that looked before the export keeps seeing the old export,
    # in the tables it reads only afterwards too (after a TRUNCATE they would look empty).
    reader = await asyncpg.connect(asyncpg_dsn(warehouse_url))
    try:
        snapshot = reader.transaction(isolation="repeatable_read", readonly=True)
        await snapshot.start()
        assert await _counts(reader, "datastores") == old[:1]
        status, out, err = await _export(setup.env)  # not blocked by the reader's locks
        assert status == 0, err
        assert json.loads(out)["modelVersion"] == second.id
        assert await _counts(reader, "datastores", "datasets", "columns") == old
        await snapshot.rollback()
        new = await _counts(reader, "datastores", "datasets", "columns")
        assert new == [old[0] + 1, old[1] + 1, old[2] + 1]  # ExportProbe.probes.id
        names_now = await reader.fetch(f"SELECT name FROM {OUT}.datastores")
        assert "ExportProbe" in {r["name"] for r in names_now}
    finally:
        await reader.close()


async def test_a_failed_export_changes_nothing(
    setup: Setup, warehouse: asyncpg.Connection, sync: SecuritySync, tmp_path: Path
) -> None:
    assert (await _export(setup.env))[0] == 0
    before = await _exported_rows(warehouse)
    await store_model(setup.engine, _new_version(tmp_path), source="acme+probe")
    role = names.transformer_role("externalize_model", sync.config.role_prefix)
    await warehouse.execute(f'REVOKE INSERT ON {OUT}.problems FROM "{role}"')  # the last table
    status, _, err = await _export(setup.env)
    assert status == 1 and "InsufficientPrivilegeError" in err and "nothing was changed" in err
    assert await _exported_rows(warehouse) == before  # the tables it had replaced: rolled back

    await warehouse.execute(f"ALTER TABLE {OUT}.datasets DROP COLUMN primary_key")
    status, _, err = await _export(setup.env)
    assert f"column primary_key of {OUT}.datasets is missing: run the security sync first" in err
    await warehouse.execute(f"DROP TABLE {OUT}.teams")  # no view selects from it
    status, _, err = await _export(setup.env)
    assert status == 1
    assert f"table {OUT}.teams does not exist: run the security sync first" in err
    assert not [p for p in setup.passwords if p in err]


def test_without_the_model_url_it_says_what_is_missing() -> None:
    done = run_worker(WORKER, env={"ECOPLANE_OUTPUT_SCHEMA": OUT})
    assert done.returncode == 2
    assert "ECOPLANE_MODEL_DATABASE_URL is not set" in done.stderr
    assert "secret ecoplane-dashboard, key database-url" in done.stderr


async def test_without_an_active_version_there_is_nothing_to_export(database_url: str) -> None:
    env = {**libpq_env(database_url), "ECOPLANE_MODEL_DATABASE_URL": database_url}
    status, _, err = await _export(env)
    assert status == 1 and "no model version is active: there is nothing to export" in err


def test_an_unreachable_model_database_is_named_without_its_password() -> None:
    url = "postgresql://ecoplane_dashboard:very-secret-pw@127.0.0.1:1/ecoplane"
    done = run_worker(WORKER, env={"ECOPLANE_MODEL_DATABASE_URL": url})
    assert done.returncode == 1
    assert "cannot read the model at postgresql://ecoplane_dashboard:***@127.0.0.1:1/ecoplane" in (
        done.stderr
    )
    assert "very-secret-pw" not in done.stdout + done.stderr
    garbled = run_worker(WORKER, env={"ECOPLANE_MODEL_DATABASE_URL": "::very-secret-pw::"})
    assert garbled.returncode == 1 and "very-secret-pw" not in garbled.stderr


async def test_a_run_of_the_local_runner_finds_both_secrets_and_exports(
    setup: Setup, database_url: str, warehouse: asyncpg.Connection, tmp_path: Path
) -> None:
    """The builtin's spec, the local secrets (the sync's and the dashboard's), the worker."""
    data = tmp_path / "data"
    await ensure_local_dashboard(setup.engine, database_url, data, DASHBOARD_ROLE)
    runtime = "ecoplane-dt-externalize-model.json"
    shutil.copy(tmp_path / runtime, data / "secrets" / runtime)  # where the sync's store put it
    settings = Settings(database_url="postgresql://unused", data_dir=data, scheduler=False)
    pool = await create_pool(database_url)
    service = with_run_subscribers(
        JobService(pool, settings, LocalRunner(settings, run_secrets(settings)))
    )
    try:
        run, _ = await service.start_transformer("externalize_model", "manual")
        await service.settled(run.id)
        async with pool.acquire() as connection:
            done = await get_run(connection, run.id)  # type: ignore[arg-type]
    finally:
        await service.close()
        await pool.close()
    assert done.state == "succeeded", done.log_tail
    assert f"exported model version {setup.version_id}" in (done.log_tail or "")
    assert await warehouse.fetchval(f"SELECT count(*) FROM {OUT}.workspaces") > 10
    dashboard = str(
        make_url(
            json.loads((data / "secrets" / "ecoplane-dashboard.json").read_text())["database-url"]
        ).password
    )
    assert not [p for p in [*setup.passwords, dashboard] if p in (done.log_tail or "")]
