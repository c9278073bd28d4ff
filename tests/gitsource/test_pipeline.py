"""The ingest pipeline on a real repository and a real database, the worker driven by the test."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from app.gitsource.service import build_ingestion
from app.gitsource.worker import IngestWorker
from app.settings import Settings
from tests.gitsource.conftest import active, ingest, request
from tests.gitsource.repo import BROKEN, ModelRepo, labelled


async def test_a_good_commit_becomes_the_active_version(
    engine: AsyncEngine, repo: ModelRepo, worker: IngestWorker
) -> None:
    head = repo.git("rev-parse", "HEAD")
    queued = await request(engine, "main", head, delivery_id="d-1", requested_by="alice")
    assert (await ingest(engine, queued)).state == "queued"
    assert await worker.run_once() == queued
    done = await ingest(engine, queued)
    assert (done.state, done.commit_sha, done.errors) == ("active", head, 0)
    assert await active(engine) == (done.version_id, head)
    assert {"fetch", "load", "store", "total"} <= set(done.timings)
    assert done.started_at is not None and done.finished_at is not None
    assert done.started_at <= done.finished_at
    assert await worker.run_once() is None  # nothing left


async def test_a_broken_commit_is_rejected_and_the_previous_version_keeps_serving(
    engine: AsyncEngine, repo: ModelRepo, worker: IngestWorker
) -> None:
    good = await request(engine, "main", repo.git("rev-parse", "HEAD"))
    await worker.run_once()
    before = await active(engine)
    broken_sha = repo.commit(BROKEN, "break it")
    broken = await request(engine, "main", broken_sha)
    await worker.run_once()
    done = await ingest(engine, broken)
    assert done.state == "rejected" and done.errors >= 1
    assert f"/model-versions/{done.version_id}/problems" in (done.detail or "")
    assert before is not None and before[0] == (await ingest(engine, good)).version_id
    assert await active(engine) == before
    async with engine.connect() as handle:
        raw = await handle.get_raw_connection()
        codes = await raw.driver_connection.fetch(  # type: ignore[union-attr]
            "SELECT code FROM model_problems WHERE version_id = $1", done.version_id
        )
    assert codes  # the problems are recorded with the rejected version


async def test_a_newer_commit_supersedes_the_older_queued_one(
    engine: AsyncEngine, repo: ModelRepo, worker: IngestWorker
) -> None:
    older_sha = repo.commit(labelled(1))
    newer_sha = repo.commit(labelled(2))
    older = await request(engine, "main", older_sha, delivery_id="d-1")
    newer = await request(engine, "main", newer_sha, delivery_id="d-2")
    assert await worker.drain() == [newer]  # the older one never runs
    assert (await ingest(engine, newer)).state == "active"
    replaced = await ingest(engine, older)
    assert (replaced.state, replaced.superseded_by) == ("superseded", newer)
    assert (await active(engine) or (0, ""))[1] == newer_sha


async def test_an_older_commit_finishing_after_a_newer_one_is_not_activated(
    engine: AsyncEngine, repo: ModelRepo, worker: IngestWorker
) -> None:
    older_sha = repo.commit(labelled(1))
    newer_sha = repo.commit(labelled(2))
    newer = await request(engine, "main", newer_sha)
    await worker.run_once()  # the newer push's work completes first...
    older = await request(engine, "main", older_sha)  # ...and the older one's after it
    await worker.run_once()
    held = await ingest(engine, older)
    assert held.state == "superseded"
    assert f"older than the active commit {newer_sha[:12]}" in (held.detail or "")
    assert (await active(engine) or (0, ""))[1] == newer_sha
    assert (await ingest(engine, newer)).state == "active"


async def test_the_commit_already_active_does_nothing_new(
    engine: AsyncEngine, repo: ModelRepo, worker: IngestWorker
) -> None:
    head = repo.git("rev-parse", "HEAD")
    first = await request(engine, "main", head)
    await worker.run_once()
    again = await request(engine, "main", head, trigger="poll")
    await worker.run_once()
    done = await ingest(engine, again)
    assert done.state == "active" and "already active" in (done.detail or "")
    assert done.version_id == (await ingest(engine, first)).version_id
    async with engine.connect() as handle:
        raw = await handle.get_raw_connection()
        count = await raw.driver_connection.fetchval("SELECT count(*) FROM model_versions")  # type: ignore[union-attr]
    assert count == 1


async def test_a_branch_or_tag_name_is_resolved_and_an_unknown_ref_fails_clearly(
    engine: AsyncEngine, repo: ModelRepo, worker: IngestWorker
) -> None:
    repo.git("tag", "v1")
    tagged = await request(engine, "v1", trigger="manual")
    await worker.run_once()
    done = await ingest(engine, tagged)
    assert (done.state, done.commit_sha) == ("active", repo.git("rev-parse", "HEAD"))
    missing = await request(engine, "no-such-branch", trigger="manual")
    await worker.run_once()
    failed = await ingest(engine, missing)
    assert failed.state == "failed"
    assert "'no-such-branch' names no branch, tag or commit" in (failed.detail or "")


async def test_old_versions_are_retired_after_ingests(
    engine: AsyncEngine, repo: ModelRepo, settings: Settings
) -> None:
    worker = build_ingestion(
        engine, Settings(**{**settings.model_dump(), "keep_versions": 2})
    ).worker
    for n in range(3):
        await request(engine, "main", repo.commit(labelled(n)))
        await worker.run_once()
    async with engine.connect() as handle:
        raw = await handle.get_raw_connection()
        states = await raw.driver_connection.fetch("SELECT state FROM model_versions")  # type: ignore[union-attr]
    assert sorted(s["state"] for s in states) == ["active", "superseded"]
