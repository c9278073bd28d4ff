"""`python -m workers.security_sync` and `ecoplane security`: exit statuses, output, audit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import store_model
from app.db.urls import asyncpg_dsn
from app.ecosystem.model import Model
from app.security.secrets.local import LocalSecretStore
from tests.security.conftest import create_raw_tables

ROOT = Path(__file__).resolve().parents[2]


def _worker(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workers.security_sync", *args],
        capture_output=True, text=True, env={**os.environ, **env}, cwd=ROOT, timeout=300, check=False,
    )  # fmt: skip


async def test_check_apply_check_and_the_audit(
    engine: AsyncEngine,
    database_url: str,
    warehouse_url: str,
    warehouse: asyncpg.Connection,
    acme_model: Model,
    prefix: str,
    tmp_path: Path,
) -> None:
    stored = await store_model(engine, acme_model, source="acme")
    await create_raw_tables(warehouse, acme_model)
    env = {
        "ECOPLANE_DATABASE_URL": database_url,
        "ECOPLANE_WAREHOUSE_URL": warehouse_url,
        "ECOPLANE_DATA_DIR": str(tmp_path),
        "ECOPLANE_ROLE_PREFIX": prefix,
        "ECOPLANE_SECURITY_MARKER": f"{prefix}managed",
    }
    check = _worker(env, "--check")
    assert check.returncode == 2, check.stderr
    apply = _worker(env)  # no mode: apply, as a security-sync run of the jobs runner does
    assert apply.returncode == 0, apply.stderr
    document = json.loads(apply.stdout)
    assert document["applied"] and document["operations"] and document["modelVersion"] == stored.id
    assert _worker(env, "--check").returncode == 0
    again = _worker(env, "--apply")
    assert again.returncode == 0 and json.loads(again.stdout)["operations"] == []
    cli = subprocess.run(
        [sys.executable, "-m", "app.cli", "security", "plan"],
        capture_output=True, text=True, env={**os.environ, **env}, cwd=ROOT, timeout=300, check=False,
    )  # fmt: skip
    assert cli.returncode == 0 and json.loads(cli.stdout)["changes"] is False

    control = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        syncs = await control.fetch("SELECT id, operations FROM security_syncs")
        audit = await control.fetch("SELECT statement FROM security_sync_operations")
    finally:
        await control.close()
    assert [s["operations"] for s in syncs] == [len(document["operations"])]  # no-op: no record
    store = LocalSecretStore(tmp_path / "secrets" / "transformers")
    passwords = [c.password for t in acme_model.transformers if (c := await store.current(t))]
    assert len(passwords) == len(acme_model.transformers)
    texts = [check.stdout, check.stderr, apply.stdout, apply.stderr, again.stdout, cli.stdout]
    texts += [a["statement"] for a in audit]
    assert not [p for p in passwords for t in texts if p in t]


def test_a_failure_exits_1(tmp_path: Path) -> None:
    env = {
        "ECOPLANE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "ECOPLANE_DATA_DIR": str(tmp_path),
    }
    result = _worker(env, "--plan")
    assert result.returncode == 1
    assert "control-plane database" in result.stderr
