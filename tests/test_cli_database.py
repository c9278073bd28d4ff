"""`ecoplane load` and `ecoplane db ...` against a real database (ECOPLANE_DATABASE_URL)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg
import pytest

from app.catalog.dashboard import DASHBOARD_ROLE
from app.cli import main
from app.db.urls import asyncpg_dsn
from tests.conftest import EXAMPLES


def _query(url: str, sql: str) -> object:
    async def run() -> object:
        connection = await asyncpg.connect(asyncpg_dsn(url))
        try:
            return await connection.fetchval(sql)
        finally:
            await connection.close()

    return asyncio.run(run())


@pytest.fixture
def configured(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ECOPLANE_DATABASE_URL", database_url)
    return database_url


def test_load_prints_the_version_and_counts(
    configured: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["load", str(EXAMPLES / "acme"), "--commit", "abc123"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["state"] == "active" and report["new"] is True
    assert report["counts"]["datastores"] == 24 and report["counts"]["columns"] == 642
    assert {"parse", "validate", "write", "total"} <= set(report["timings"])
    assert _query(configured, "SELECT commit_sha FROM current_model_version") == "abc123"
    assert main(["load", str(EXAMPLES / "acme")]) == 0  # same content: the same version
    again = json.loads(capsys.readouterr().out)
    assert (again["version"], again["new"]) == (report["version"], False)


def test_load_of_a_broken_model_exits_one_and_keeps_the_active(
    configured: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["load", str(EXAMPLES / "acme")]) == 0
    active = json.loads(capsys.readouterr().out)["version"]
    (tmp_path / "bad.yaml").write_text(
        "apiVersion: ecoplane.io/v1\nkind: Ecosystem\nmetadata: {}\n"
    )
    assert main(["load", str(tmp_path)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["state"] == "rejected" and report["errors"] >= 1
    assert _query(configured, "SELECT id FROM current_model_version") == active


def test_db_downgrade_and_upgrade(configured: str) -> None:
    assert main(["db", "downgrade", "base"]) == 0
    assert _query(configured, "SELECT to_regclass('model_versions') IS NULL") is True
    assert main(["db", "upgrade"]) == 0
    assert _query(configured, "SELECT to_regclass('current_datastores') IS NOT NULL") is True


def test_grant_dashboard_reads_the_password_file(configured: str, tmp_path: Path) -> None:
    password = tmp_path / "password"
    password.write_text("correct horse battery staple\n")
    assert main(["db", "grant-dashboard", "--password-file", str(password)]) == 0
    assert _query(
        configured, f"SELECT has_table_privilege('{DASHBOARD_ROLE}', 'current_sinks', 'SELECT')"
    )
    empty = tmp_path / "empty"
    empty.write_text("\n")
    assert main(["db", "grant-dashboard", "--password-file", str(empty)]) == 2
    assert main(["db", "grant-dashboard", "--password-file", str(tmp_path / "missing")]) == 2
