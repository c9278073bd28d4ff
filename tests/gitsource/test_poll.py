"""The polling backstop: a branch head nobody ingested is queued once."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from app.gitsource.poll import poll_once
from app.gitsource.service import repository_of
from app.gitsource.worker import IngestWorker
from app.settings import Settings
from tests.gitsource.conftest import active
from tests.gitsource.repo import ModelRepo, labelled


async def test_a_new_head_is_queued_once_and_ingested(
    engine: AsyncEngine, repo: ModelRepo, settings: Settings, worker: IngestWorker
) -> None:
    repository = repository_of(settings)
    assert repository is not None
    head = repo.git("rev-parse", "HEAD")
    queued = await poll_once(engine, repository, "main")
    assert queued is not None
    assert (queued.trigger, queued.commit_sha, queued.state) == ("poll", head, "queued")
    assert await poll_once(engine, repository, "main") is None  # already queued
    await worker.drain()
    assert (await active(engine) or (0, ""))[1] == head
    assert await poll_once(engine, repository, "main") is None  # already active
    moved = repo.commit(labelled(7))
    again = await poll_once(engine, repository, "main")
    assert again is not None and again.commit_sha == moved


async def test_a_missing_branch_queues_nothing(
    engine: AsyncEngine, settings: Settings, tmp_path: Path
) -> None:
    repository = repository_of(settings)
    assert repository is not None
    assert await poll_once(engine, repository, "no-such-branch") is None


async def test_the_poller_queues_the_head_and_wakes_the_worker(
    engine: AsyncEngine, repo: ModelRepo, settings: Settings
) -> None:
    import asyncio

    from app.gitsource.poll import Poller
    from app.gitsource.service import build_ingestion

    assert build_ingestion(engine, settings).poller is not None  # the default: every 300 s
    off = Settings(**{**settings.model_dump(), "poll_seconds": 0})
    assert build_ingestion(engine, off).poller is None
    repository = repository_of(settings)
    assert repository is not None
    woken = asyncio.Event()
    poller = Poller(engine, repository, "main", woken.set)
    await poller.poll()
    assert woken.is_set()
    async with engine.connect() as handle:
        raw = await handle.get_raw_connection()
        rows = await raw.driver_connection.fetch("SELECT trigger, commit_sha FROM ingests")  # type: ignore[union-attr]
    assert [tuple(r) for r in rows] == [("poll", repo.git("rev-parse", "HEAD"))]
