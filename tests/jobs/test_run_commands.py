"""`ecoplane run` and `ecoplane runs` on a real database with the jobs model active."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from app.catalog.store import StoredVersion
from app.cli import main
from app.settings import Settings
from tests.jobs.conftest import give_credentials
from tests.jobs.model import jobs_model


@pytest.fixture
def configured(
    database_url: str, stored: StoredVersion, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> str:
    monkeypatch.setenv("ECOPLANE_DATABASE_URL", database_url)
    monkeypatch.setenv("ECOPLANE_DATA_DIR", str(tmp_path))
    settings = Settings(database_url=database_url, data_dir=tmp_path)
    asyncio.run(give_credentials(settings, *jobs_model().transformers))  # as a sync would
    return database_url


def test_run_waits_for_the_transformer_and_runs_lists_it(
    configured: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "chain_a", "--key", "cli-1"]) == 0
    run = json.loads(capsys.readouterr().out)
    assert run["state"] == "succeeded" and run["requested_by"] == "cli"
    assert run["log_tail"].endswith("done") and run["idempotency_key"] == "cli-1"
    assert main(["run", "fail_a"]) == 1
    failed = json.loads(capsys.readouterr().out)
    assert failed["state"] == "failed" and failed["exit_code"] == 3
    assert main(["runs", "--target", "chain_b", "--format", "json"]) == 0
    (chained,) = json.loads(capsys.readouterr().out)  # run here too, not left behind
    assert chained["state"] == "succeeded" and chained["trigger"] == "input-change"
    assert main(["runs", "--target", "chain_a"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].split()[:4] == [
        str(run["id"]),
        "succeeded",
        "transformer",
        "chain_a",
    ]
    assert main(["runs", "--state", "failed", "--format", "json"]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == [failed["id"]]


def test_run_of_an_unknown_transformer_says_so(
    configured: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "nope"]) == 2
    assert "transformer 'nope' does not exist" in capsys.readouterr().err
