"""Fixtures: the model repository with a pull request's head, the active version, a forge double."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import store_model
from app.ecosystem.loader import load_directory
from app.forges.checker import Checker
from app.forges.service import CheckWorker, build_forge
from app.gitsource.service import repository_of
from app.settings import Settings
from tests.ecosystem.modeltext import BASE
from tests.forges.forge_double import ForgeDouble
from tests.gitsource.repo import ModelRepo

TOKEN = "forge-t0ken-never-shown"
SECRET = "It's a Secret to Everybody"
# the pull request removes a column the Analytics team's workspace reads: breaking
BREAKING = {
    "zones/usa/customers.yaml": BASE["zones/usa/customers.yaml"].replace(
        "        - {name: email, type: varchar(255)}\n", ""
    )
}


@pytest.fixture
async def repo(tmp_path: Path, engine: AsyncEngine) -> ModelRepo:
    """The small model on main, stored as the active version."""
    made = ModelRepo(tmp_path / "origin")
    made.commit_base()
    await store_model(engine, load_directory(made.path), source="test")
    return made


def branch(repo: ModelRepo, name: str, files: Mapping[str, str | None]) -> str:
    """Commit files on a branch off main; its head."""
    repo.git("checkout", "-q", "-B", name, "main")
    head = repo.commit(dict(files), f"on {name}")
    repo.git("checkout", "-q", "main")
    return head


def forge_settings(
    forge: str, double: ForgeDouble, repo: ModelRepo, database_url: str, data: Path
) -> Settings:
    """Settings that follow the repository and check its pull requests on the double."""
    return Settings.model_validate(
        {
            "database_url": database_url, "model_repo": str(repo.path), "data_dir": data,
            "model_repo_name": "acme/data-model", "forge": forge, "forge_api_url": double.url,
            "forge_token": TOKEN, "public_url": "https://ecoplane.example",
            f"webhook_secret_{forge}": SECRET,
        }
    )  # fmt: skip


@pytest.fixture(params=["github"])
async def double(request: pytest.FixtureRequest) -> AsyncIterator[ForgeDouble]:
    """The forge double (GitHub unless a test parametrizes it)."""
    made = ForgeDouble(request.param)
    await made.start()
    yield made
    await made.stop()


@pytest.fixture
async def worker(
    double: ForgeDouble, repo: ModelRepo, engine: AsyncEngine, database_url: str, tmp_path: Path
) -> AsyncIterator[CheckWorker]:
    """A check worker on the double that runs only when the test says so (retries without wait)."""
    settings = forge_settings(double.forge, double, repo, database_url, tmp_path / "data")
    forge = build_forge(settings, backoff=0.0)
    repository = repository_of(settings)
    assert forge is not None and repository is not None
    made = CheckWorker(engine, Checker(settings, repository, forge))
    yield made
    await forge.close()
