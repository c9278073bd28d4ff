"""`ecoplane load` and `ecoplane db ...` against a real database (ECOPLANE_DATABASE_URL)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from app.cli import main
from app.db.urls import asyncpg_dsn
from tests.conftest import EXAMPLES
from tests.dashboard_role import DASHBOARD_ROLE


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
    assert report["counts"]["datastores"] == 24 and report["counts"]["columns"] == 647
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


def test_grant_dashboard_reads_the_password_file(
    configured: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECOPLANE_DATA_DIR", str(tmp_path / "data"))
    password = tmp_path / "password"
    password.write_text("correct horse/battery@staple\n")
    assert main(["db", "grant-dashboard", "--password-file", str(password)]) == 0
    assert _query(
        configured, f"SELECT has_table_privilege('{DASHBOARD_ROLE}', 'current_sinks', 'SELECT')"
    )
    # the local secret the model export's runs get as ECOPLANE_MODEL_DATABASE_URL
    secret = tmp_path / "data" / "secrets" / "ecoplane-dashboard.json"
    assert secret.stat().st_mode & 0o777 == 0o600
    url = make_url(json.loads(secret.read_text())["database-url"])
    assert (url.username, url.password) == (DASHBOARD_ROLE, "correct horse/battery@staple")
    assert (url.host, url.port, url.database) == (
        make_url(configured).host,
        make_url(configured).port,
        make_url(configured).database,
    )
    as_dashboard = url.render_as_string(hide_password=False)
    assert _query(as_dashboard, "SELECT current_user") == DASHBOARD_ROLE
    empty = tmp_path / "empty"
    empty.write_text("\n")
    assert main(["db", "grant-dashboard", "--password-file", str(empty)]) == 2
    assert main(["db", "grant-dashboard", "--password-file", str(tmp_path / "missing")]) == 2


def test_grant_dashboard_writes_no_local_secret_for_another_store(
    configured: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECOPLANE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ECOPLANE_SECRET_STORE", "kubernetes")  # the operator creates the Secret
    password = tmp_path / "password"
    password.write_text("s3cret")
    assert main(["db", "grant-dashboard", "--password-file", str(password)]) == 0
    assert not (tmp_path / "data" / "secrets").exists()
