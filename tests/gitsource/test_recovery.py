"""Restarts: queued ingests resume; an ingest cut short is failed and retried or superseded."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.engine import create_engine
from app.ecosystem.model import Model
from app.gitsource import pipeline
from app.gitsource.pipeline import Pipeline
from app.gitsource.service import build_ingestion
from app.gitsource.worker import IngestWorker
from app.settings import Settings
from tests.gitsource.conftest import active, ingest, request
from tests.gitsource.repo import ModelRepo, labelled


async def test_ingests_queued_before_a_restart_are_resumed(
    engine: AsyncEngine, repo: ModelRepo, settings: Settings, database_url: str
) -> None:
    head = repo.git("rev-parse", "HEAD")
    queued = await request(engine, "main", head)  # recorded; then the process stopped
    restarted = create_engine(database_url)  # a new process: its own engine and worker
    try:
        assert await build_ingestion(restarted, settings).worker.run_once() == queued
    finally:
        await restarted.dispose()
    assert (await ingest(engine, queued)).state == "active"


async def _interrupted_while_loading(
    engine: AsyncEngine, settings: Settings, monkeypatch: pytest.MonkeyPatch, ingest_id: int
) -> None:
    """Run the ingest in a worker of its own and stop that worker in the middle of loading."""
    loading, forever = asyncio.Event(), asyncio.Event()
    real_load = pipeline.Pipeline._load

    async def stuck(self: pipeline.Pipeline, repository: object, commit: str) -> Model:
        loading.set()
        await forever.wait()  # the process dies here
        return await real_load(self, repository, commit)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline.Pipeline, "_load", stuck)
    doomed = create_engine(settings.database_url or "")
    task = asyncio.create_task(build_ingestion(doomed, settings).worker.run_once())
    await asyncio.wait_for(loading.wait(), 60)
    assert (await ingest(engine, ingest_id)).state == "validating"
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await doomed.dispose()  # its connection, and so its lock, is gone
    monkeypatch.setattr(pipeline.Pipeline, "_load", real_load)


async def test_an_interrupted_ingest_is_failed_and_retried(
    engine: AsyncEngine, repo: ModelRepo, settings: Settings, worker: IngestWorker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    head = repo.git("rev-parse", "HEAD")
    cut = await request(engine, "main", head)
    await _interrupted_while_loading(engine, settings, monkeypatch, cut)
    retried = await worker.run_once()
    failed = await ingest(engine, cut)
    assert failed.state == "failed" and (failed.detail or "").startswith("interrupted")
    assert retried is not None and retried != cut
    retry = await ingest(engine, retried)
    assert (retry.retry_of, retry.state, retry.commit_sha) == (cut, "active", head)
    assert (await active(engine) or (0, ""))[1] == head


async def test_an_interrupted_ingest_with_a_newer_request_is_not_retried(
    engine: AsyncEngine, repo: ModelRepo, settings: Settings, worker: IngestWorker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    cut = await request(engine, "main", repo.commit(labelled(1)))
    await _interrupted_while_loading(engine, settings, monkeypatch, cut)
    newer_sha = repo.commit(labelled(2))
    newer = await request(engine, "main", newer_sha)
    assert await worker.drain() == [newer]  # no retry of the older commit is queued
    assert (await ingest(engine, cut)).state == "failed"
    assert (await ingest(engine, newer)).state == "active"
    assert (await active(engine) or (0, ""))[1] == newer_sha


async def test_only_one_worker_runs_at_a_time(
    engine: AsyncEngine, repo: ModelRepo, settings: Settings, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:  # fmt: skip
    first = await request(engine, "main", repo.git("rev-parse", "HEAD"))
    loading, release = asyncio.Event(), asyncio.Event()
    real_load = pipeline.Pipeline._load

    async def held(self: pipeline.Pipeline, repository: object, commit: str) -> Model:
        loading.set()
        await release.wait()
        return await real_load(self, repository, commit)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline.Pipeline, "_load", held)
    replica_a = build_ingestion(engine, settings).worker
    other = Settings(**{**settings.model_dump(), "data_dir": tmp_path / "replica-b"})
    replica_b = build_ingestion(engine, other).worker
    running = asyncio.create_task(replica_a.run_once())
    await asyncio.wait_for(loading.wait(), 60)
    await request(engine, "main", repo.commit(labelled(3)))
    assert await replica_b.run_once() is None  # replica A holds the lock: B does not start
    release.set()
    assert await running == first


async def test_stop_ends_the_worker_even_when_its_cancellation_is_swallowed() -> None:
    entered = asyncio.Event()

    class Swallowing(IngestWorker):
        async def drain(self) -> list[int]:
            entered.set()
            with contextlib.suppress(asyncio.CancelledError):  # as a library once did
                await asyncio.Event().wait()
            return []

    worker = Swallowing(cast(AsyncEngine, None), cast(Pipeline, None), check_seconds=3600)
    worker.start()
    await entered.wait()
    async with asyncio.timeout(60):  # a guard: without the stop flag this waited forever
        await worker.stop()
    assert worker.task is None
