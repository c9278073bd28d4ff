"""Fixtures: a real model repository, the settings that follow it, and a worker the test drives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.engine import driver_connection
from app.gitsource import queue
from app.gitsource.service import build_ingestion
from app.gitsource.worker import IngestWorker
from app.settings import Settings
from tests.gitsource.repo import ModelRepo


@pytest.fixture
def repo(tmp_path: Path) -> ModelRepo:
    """A repository with the small valid model committed on main."""
    made = ModelRepo(tmp_path / "origin")
    made.commit_base()
    return made


@pytest.fixture
def settings(repo: ModelRepo, database_url: str, tmp_path: Path) -> Settings:
    """Settings following the repository's main branch."""
    return Settings(
        database_url=database_url, model_repo=str(repo.path), data_dir=tmp_path / "data"
    )


@pytest.fixture
def worker(engine: AsyncEngine, settings: Settings) -> IngestWorker:
    """An ingest worker that runs only when the test says so."""
    return build_ingestion(engine, settings).worker


async def request(engine: AsyncEngine, ref: str, commit: str | None = None, **extra: Any) -> int:
    """Queue an ingest as a webhook would; its id."""
    async with engine.connect() as handle:
        connection = await driver_connection(handle)
        ingest, _ = await queue.queue_ingest(
            connection, trigger=extra.pop("trigger", "github"), ref=ref, commit_sha=commit, **extra
        )
    return ingest.id


async def ingest(engine: AsyncEngine, ingest_id: int) -> queue.Ingest:
    """An ingest as stored."""
    async with engine.connect() as handle:
        return await queue.get_ingest(await driver_connection(handle), ingest_id)


async def active(engine: AsyncEngine) -> tuple[int, str | None] | None:
    """The active version's id and commit."""
    async with engine.connect() as handle:
        row = await (await driver_connection(handle)).fetchrow(
            "SELECT id, commit_sha FROM model_versions WHERE state = 'active'"
        )
    return (row["id"], row["commit_sha"]) if row else None
