"""A local run's credentials: its own from the secret store (local files or AWS), refused when
missing, never the service's; its password masked in the log; the python path."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path

import asyncpg
import pytest

from app.examples.embedded_default import EXAMPLE, with_example_path
from app.jobs.log_tail import hidden_values, redacted, redaction
from app.jobs.runners.base import Outcome, RunRefusedError
from app.jobs.runners.local import PASSED_ON, LocalRunner
from app.jobs.service import JobService
from app.jobs.spec import (
    JobSpec,
    SecretRef,
    TransformerCode,
    security_sync_job,
    transformer_job,
)
from app.security.names import transformer_role
from app.security.secrets.aws import AwsSecretStore
from app.security.secrets.local import LocalSecretStore
from app.security.secrets.run_secrets import run_secrets
from app.settings import Settings
from tests.jobs.conftest import fake_credentials, give_credentials, run_of
from tests.security.aws import aws_environment, client, moto_endpoint

__all__ = ["aws_environment", "moto_endpoint"]
SHOWS = "tests.jobs.transformers.credentials"
CONTRACT = {"ECOPLANE_RUN_ID", "ECOPLANE_TRANSFORMER", "ECOPLANE_WORKSPACE",
            "ECOPLANE_INPUT_SCHEMA", "ECOPLANE_OUTPUT_SCHEMA"}  # fmt: skip
LIBPQ = {"PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD"}


def _spec(name: str = "chain_a", module: str = SHOWS, run_id: int = 7) -> JobSpec:
    code = TransformerCode(name=name, workspace="ChainA", code_kind="python", module=module)
    return transformer_job(code, run_id, Settings(database_url="postgresql://unused"))


async def _run(runner: LocalRunner, spec: JobSpec) -> Outcome:
    try:
        reference = await runner.launch(spec)
        return await runner.wait(spec, reference)
    finally:
        await runner.close()


def _digest(value: str | int) -> str:
    return hashlib.sha256(str(value).encode()).hexdigest()


def _shown(outcome: Outcome) -> dict[str, str]:
    """What the `credentials` transformer printed: `NAME sha256=…` and `key=value` lines."""
    lines = (outcome.log_tail or "").splitlines()
    found = dict(line.split(" sha256=", 1) for line in lines if " sha256=" in line)
    return found | dict(line.split("=", 1) for line in lines if "=" in line and " " not in line)


async def test_local_store_credentials_reach_the_child_and_nothing_of_the_service(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    given = (await give_credentials(settings, "chain_a"))["chain_a"]
    for name in LIBPQ:  # the service's own connection: never handed on
        monkeypatch.setenv(name, f"admin-{name}")
    monkeypatch.setenv("ECOPLANE_DATABASE_URL", "postgresql://admin:admin-secret@db/control")
    monkeypatch.setenv("ECOPLANE_WAREHOUSE_URL", "postgresql://admin:admin-secret@db/warehouse")
    outcome = await _run(LocalRunner(settings, run_secrets(settings)), _spec())
    assert outcome.state == "succeeded", outcome.log_tail
    shown = _shown(outcome)
    assert shown["PGUSER"] == given.username == "dt_chain_a"
    assert shown["PGPASSWORD"] == _digest(given.password)
    assert (shown["PGHOST"], shown["PGPORT"]) == (_digest(given.host), _digest(given.port))
    assert shown["PGDATABASE"] == _digest(given.dbname)
    expected = (set(PASSED_ON) & set(os.environ)) | CONTRACT | LIBPQ | {"PYTHONUNBUFFERED"}
    assert set(shown["variables"].split(",")) == expected  # no ECOPLANE_DATABASE_URL, nothing else
    assert "admin-" not in (outcome.log_tail or "")


async def test_the_password_is_masked_in_the_log_tail(settings: Settings) -> None:
    given = (await give_credentials(settings, "chain_a"))["chain_a"]
    outcome = await _run(LocalRunner(settings, run_secrets(settings)), _spec())
    assert "the password is ***!" in (outcome.log_tail or "").splitlines()
    assert given.password not in (outcome.log_tail or "")


async def test_a_url_secret_is_masked_whole_and_its_password_alone(settings: Settings) -> None:
    await give_credentials(settings, "chain_a")
    url = f"postgresql://ecoplane_dashboard:{uuid.uuid4().hex}@127.0.0.1:5432/ecoplane"
    (settings.data_dir / "secrets" / "ecoplane-dashboard.json").write_text(
        json.dumps({"database-url": url})
    )
    spec = _spec()
    spec.secret_env["ECOPLANE_MODEL_DATABASE_URL"] = SecretRef("ecoplane-dashboard", "database-url")
    outcome = await _run(LocalRunner(settings, run_secrets(settings)), spec)
    assert "the model database is ***" in (outcome.log_tail or "").splitlines()
    values = redaction(hidden_values({"ECOPLANE_MODEL_DATABASE_URL": url, "PGUSER": "dt_x"}))
    password = url.split(":")[2].split("@")[0]
    assert redacted(f"user dt_x, password {password}", values) == "user dt_x, password ***"


async def test_a_transformer_without_credentials_is_refused_before_it_starts(
    service: JobService, pool: asyncpg.Pool, settings: Settings
) -> None:
    await LocalSecretStore(settings.data_dir / "secrets" / "transformers").delete("chain_a")
    run, _ = await service.start_transformer("chain_a", "manual")
    await service.settled(run.id)
    done = await run_of(pool, run.id)
    assert done.state == "failed" and done.reason == (
        "security sync has not created role dt_chain_a yet: no credentials for transformer"
        " chain_a in the local secret store"
    )
    assert done.runner_ref is None and done.started_at is None  # no process started
    assert done.exit_code is None and done.log_tail is None


@pytest.mark.parametrize("name", ["chain_a", "Very_" + "long" * 20])
async def test_the_refusal_names_the_role_the_security_sync_creates(
    settings: Settings, name: str
) -> None:
    prefixed = settings.model_copy(update={"role_prefix": "acme_"})
    with pytest.raises(RunRefusedError) as refused:
        await LocalRunner(prefixed, run_secrets(prefixed)).launch(_spec(name))
    role = transformer_role(name, "acme_")
    assert str(refused.value).startswith(f"security sync has not created role {role} yet:")


async def test_credentials_without_a_password_are_missing_credentials(settings: Settings) -> None:
    secrets = settings.data_dir / "secrets"
    secrets.mkdir()
    (secrets / "ecoplane-dt-chain-a.json").write_text('{"PGUSER": "dt_chain_a"}')
    with pytest.raises(RunRefusedError, match="no credentials for transformer chain_a"):
        await LocalRunner(settings, run_secrets(settings)).launch(_spec())


async def test_the_security_sync_needs_no_transformer_credentials(settings: Settings) -> None:
    env, _ = await LocalRunner(settings, run_secrets(settings)).environment(
        security_sync_job(5, settings)
    )
    assert env["ECOPLANE_RUN_ID"] == "5" and "PGPASSWORD" not in env


@pytest.mark.usefixtures("aws_environment")
async def test_aws_store_credentials_reach_the_child_and_no_local_file_replaces_them(
    settings: Settings, moto_endpoint: str
) -> None:
    prefix = f"runs-{uuid.uuid4().hex[:8]}"
    store = AwsSecretStore(client(moto_endpoint), prefix)
    given = fake_credentials("chain_a")
    await store.stage("chain_a", given)
    await store.promote("chain_a")
    await give_credentials(settings, "fail_a")  # only in the local files: not the store in use
    aws = settings.model_copy(
        update={"secret_store": "aws", "secret_prefix": prefix,
                "aws_endpoint_url": moto_endpoint, "aws_region": "us-east-1"}
    )  # fmt: skip
    outcome = await _run(LocalRunner(aws, secrets=run_secrets(aws)), _spec())
    assert outcome.state == "succeeded", outcome.log_tail
    shown = _shown(outcome)
    assert shown["PGUSER"] == "dt_chain_a" and shown["PGPASSWORD"] == _digest(given.password)
    assert given.password not in (outcome.log_tail or "")
    with pytest.raises(RunRefusedError) as refused:
        await LocalRunner(aws, secrets=run_secrets(aws)).launch(_spec("fail_a"))
    assert str(refused.value) == (
        "security sync has not created role dt_fail_a yet: no credentials for transformer"
        " fail_a in the aws secret store"
    )


async def test_a_module_found_only_on_the_python_path_runs(
    settings: Settings, tmp_path: Path
) -> None:
    package = f"only_here_{uuid.uuid4().hex[:8]}"
    (tmp_path / "code" / package).mkdir(parents=True)
    (tmp_path / "code" / package / "__init__.py").write_text("")
    (tmp_path / "code" / package / "job.py").write_text(
        "def main() -> None:\n    print('found on the python path')\n"
    )
    await give_credentials(settings, "chain_a")
    spec = _spec(module=f"{package}.job")
    with pytest.raises(RunRefusedError, match=f"no Python package '{package}' here"):
        LocalRunner(settings, run_secrets(settings)).argv(spec)
    on_path = settings.model_copy(update={"python_path": [tmp_path / "code"]})
    outcome = await _run(LocalRunner(on_path, run_secrets(on_path)), spec)
    assert outcome.state == "succeeded" and outcome.log_tail == "found on the python path"


def test_the_python_path_setting_takes_pathsep_lists_and_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ECOPLANE_PYTHON_PATH", "/opt/a:/opt/b")
    assert Settings().python_path == [Path("/opt/a"), Path("/opt/b")]
    monkeypatch.setenv("ECOPLANE_PYTHON_PATH", '["/opt/c", "/with space"]')
    assert Settings().python_path == [Path("/opt/c"), Path("/with space")]


def test_the_example_model_puts_examples_on_the_python_path() -> None:
    embedded = with_example_path(Settings())
    assert embedded.python_path == [EXAMPLE.parent]
    assert with_example_path(embedded).python_path == [EXAMPLE.parent]  # once
    assert with_example_path(Settings(load_example=False)).python_path == []
    assert with_example_path(Settings(database_url="postgresql://x/y")).python_path == []
