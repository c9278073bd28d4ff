"""A data ingestion reads the source login `ecoplane credential set` stored, from the secret
store in use (local files, Secrets Manager on moto); without one its run is refused before it
starts, naming the credential and the command; the password is never in what a run shows."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import store_model
from app.cli import main
from app.ecosystem.names import ingestion_credentials
from app.jobs.runners.base import MissingSourceLoginError
from app.jobs.runners.local import LocalRunner
from app.jobs.spec import SOURCE_PASSWORD, SOURCE_USER, ingestion_job
from app.security.secrets.run_secrets import run_secrets
from app.settings import Settings
from tests.ingestion.conftest import Source
from tests.ingestion.runs import ingested_model, secure, settings_for
from tests.jobs.conftest import give_credentials
from tests.security.aws import aws_environment, moto_endpoint

__all__ = ["aws_environment", "moto_endpoint"]


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
    """The commands' environment: the test's databases and data directory, no source login."""
    await store_model(engine, ingested_model(source), source="credential-runs")
    await secure(settings_for(database_url, warehouse_url, tmp_path, prefix))
    monkeypatch.setenv("ECOPLANE_ROLE_PREFIX", prefix)
    monkeypatch.setenv("ECOPLANE_MANAGED_MARKER", f"{prefix}managed")
    monkeypatch.setenv("ECOPLANE_DATABASE_URL", database_url)
    monkeypatch.setenv("ECOPLANE_WAREHOUSE_URL", warehouse_url)
    monkeypatch.setenv("ECOPLANE_DATA_DIR", str(tmp_path))


async def _set_login(source: Source, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    password = tmp_path / "source-password"
    password.write_text(source.login.password + "\n")
    args = ["credential", "set", "crm_reader", "--user", source.login.user,
            "--password-file", str(password)]  # fmt: skip
    assert await asyncio.to_thread(main, args) == 0
    out, err = capsys.readouterr()
    assert "stored in the" in out and source.login.password not in out + err


async def _ingestion(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object], str]:
    status = await asyncio.to_thread(main, ["ingestion", "Customers"])
    out, err = capsys.readouterr()
    return status, json.loads(out), err


async def test_a_login_set_by_the_command_is_what_the_run_reads(
    configured: None, source: Source, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, run, _ = await _ingestion(capsys)
    assert status == 1 and run["state"] == "failed" and run["exit_code"] is None  # not started
    assert run["reason"] == (
        "no source login for credential 'crm_reader' in the local secret store: set it with"
        " `ecoplane credential set crm_reader --user USER --password-file FILE`"
    )
    await _set_login(source, tmp_path, capsys)
    status, run, err = await _ingestion(capsys)
    assert status == 0 and run["state"] == "succeeded", run
    assert '"inserted": 100' in str(run["log_tail"])
    assert source.login.password not in json.dumps(run) + err


@pytest.mark.usefixtures("aws_environment")
async def test_with_the_aws_store_the_local_runner_reads_secrets_manager(
    configured: None, source: Source, tmp_path: Path, moto_endpoint: str,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    for name, value in (("SECRET_STORE", "aws"), ("SECRET_PREFIX", f"r-{uuid.uuid4().hex[:8]}"),
                        ("AWS_ENDPOINT_URL", moto_endpoint), ("AWS_REGION", "us-east-1")):  # fmt: skip
        monkeypatch.setenv(f"ECOPLANE_{name}", value)
    await secure(Settings())  # the di_ role's credentials, now in Secrets Manager too
    status, run, _ = await _ingestion(capsys)
    assert status == 1 and "in the aws secret store: set it with" in str(run["reason"])
    await _set_login(source, tmp_path, capsys)
    assert not list(tmp_path.glob("secrets/ecoplane-source-*"))  # it is in Secrets Manager only
    status, run, err = await _ingestion(capsys)
    assert status == 0 and run["state"] == "succeeded", run
    assert source.login.password not in json.dumps(run) + err


async def test_the_login_is_given_to_the_run_and_masked_in_its_log_tail(
    prefix: str, database_url: str, warehouse_url: str, tmp_path: Path
) -> None:
    settings = settings_for(
        database_url, warehouse_url, tmp_path, prefix, local_container_commands=True
    )
    await give_credentials(settings, ingestion_credentials("Customers"))
    (tmp_path / "secrets").mkdir(exist_ok=True)
    (tmp_path / "secrets" / "ecoplane-source-crm-reader.json").write_text(
        json.dumps({"credential": "crm_reader", "user": "crm_user_7", "password": "hunter2-x9"})
    )
    runner = LocalRunner(settings, run_secrets(settings), database_url)
    try:
        spec = ingestion_job("Customers", "crm_reader", 1, settings)
        env, hidden = await runner.environment(spec)
        assert (env[SOURCE_USER], env[SOURCE_PASSWORD]) == ("crm_user_7", "hunter2-x9")
        assert "hunter2-x9" in hidden
        printing = replace(  # a worker that prints its password: the tail masks it
            spec, run_id=2, module=None,
            command=(sys.executable, "-c", f"import os; print('pw', os.environ['{SOURCE_PASSWORD}'])"),
        )  # fmt: skip
        outcome = await runner.wait(printing, await runner.launch(printing))
        assert outcome.log_tail == "pw ***"
        (tmp_path / "secrets" / "ecoplane-source-crm-reader.json").unlink()
        with pytest.raises(MissingSourceLoginError, match="credential 'crm_reader' in the local"):
            await runner.environment(spec)
    finally:
        await runner.close()
