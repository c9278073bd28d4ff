"""`ecoplane ingest REF` against a real repository and database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from tests.gitsource.repo import BROKEN, ModelRepo


@pytest.fixture
def repo(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelRepo:
    made = ModelRepo(tmp_path / "origin")
    made.commit_base()
    monkeypatch.setenv("ECOPLANE_DATABASE_URL", database_url)
    monkeypatch.setenv("ECOPLANE_MODEL_REPO", str(made.path))
    monkeypatch.setenv("ECOPLANE_DATA_DIR", str(tmp_path / "data"))
    return made


def test_ingest_reads_the_commit_and_prints_the_ingest(
    repo: ModelRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ingest", "main"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert (done["state"], done["commit_sha"]) == ("active", repo.git("rev-parse", "HEAD"))
    assert done["trigger"] == "manual" and done["requested_by"] == "cli"
    repo.commit(BROKEN)
    assert main(["ingest", "main"]) == 1  # rejected
    assert json.loads(capsys.readouterr().out)["state"] == "rejected"
    assert main(["ingest", "nowhere"]) == 2  # failed
    assert "names no branch" in json.loads(capsys.readouterr().out)["detail"]


def test_queue_only_leaves_it_for_the_service(
    repo: ModelRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ingest", "main", "--queue-only"]) == 0
    assert json.loads(capsys.readouterr().out)["state"] == "queued"


def test_ingest_without_a_repository_or_with_a_bad_ref(
    repo: ModelRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ingest", "--", "-x"]) == 2
    assert "is not a branch, tag or commit name" in capsys.readouterr().err
    monkeypatch.delenv("ECOPLANE_MODEL_REPO")
    assert main(["ingest", "main"]) == 2
    assert "ECOPLANE_MODEL_REPO" in capsys.readouterr().err
