"""The README's scenario on a real repository: a push removing a column a workspace reads is
held back, the old version keeps serving; an override activates it; a rollback goes back."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.overrides import activate_on_purpose
from app.db.engine import driver_connection
from app.gitsource.queue import Ingest
from app.gitsource.service import build_ingestion
from app.gitsource.worker import IngestWorker
from app.settings import Settings
from tests.catalog.variants import without_email
from tests.conftest import EXAMPLES
from tests.gitsource.conftest import active, ingest, request
from tests.gitsource.repo import ModelRepo, labelled

CUSTOMERS = "zones/USA/teams/FrontOffice/customers.yaml"
PHONE = "        - {name: phone, type: varchar(32), classification: [pc2]}\n"


@pytest.fixture
def acme_repo(tmp_path: Path) -> ModelRepo:
    """A repository holding examples/acme on main."""
    made = ModelRepo(tmp_path / "acme-origin")
    shutil.copytree(EXAMPLES / "acme", made.path, dirs_exist_ok=True)
    made.commit({}, "acme")
    return made


async def _ingested(engine: AsyncEngine, worker: IngestWorker, commit: str) -> Ingest:
    queued = await request(engine, "main", commit)
    assert await worker.run_once() == queued
    return await ingest(engine, queued)


async def test_a_push_removing_a_column_that_a_workspace_reads_is_held_back_then_overridden(
    engine: AsyncEngine, acme_repo: ModelRepo, settings: Settings
) -> None:
    worker = build_ingestion(
        engine, settings.model_copy(update={"model_repo": str(acme_repo.path)})
    ).worker
    first = await _ingested(engine, worker, acme_repo.git("rev-parse", "HEAD"))
    assert first.state == "active"
    text = (acme_repo.path / CUSTOMERS).read_text()
    assert PHONE in text
    breaking = acme_repo.commit({CUSTOMERS: text.replace(PHONE, "")}, "drop the phone column")
    held = await _ingested(engine, worker, breaking)
    detail = str(held.detail)
    assert held.state == "rejected" and held.errors == 0
    assert "breaking removed Datastore/Customers/datasets/customers/columns/phone" in detail
    assert "TradeSurveillance" in detail
    assert await active(engine) == (first.version_id, first.commit_sha)  # still serving
    async with engine.connect() as handle:
        connection = await driver_connection(handle)
        await activate_on_purpose(
            connection, int(str(held.version_id)), by="admin", reason="surveillance agreed"
        )
        assert await active(engine) == (held.version_id, breaking)
        # a rollback to version 1 bypasses the guard that keeps an older commit back...
        await activate_on_purpose(
            connection, int(str(first.version_id)), by="admin", reason="roll back"
        )
    assert await active(engine) == (first.version_id, first.commit_sha)
    # ...and the next push, still without phone, is judged against the version rolled back to
    widened = text.replace(PHONE, "").replace(
        "last_name, type: varchar(64)", "last_name, type: varchar(80)"
    )
    later = acme_repo.commit({CUSTOMERS: widened}, "a later push")
    again = await _ingested(engine, worker, later)
    assert again.state == "rejected" and "columns/phone" in str(again.detail)
    assert await active(engine) == (first.version_id, first.commit_sha)


async def test_an_ingest_of_an_older_commit_still_does_not_replace_a_newer_active_one(
    engine: AsyncEngine, repo: ModelRepo, worker: IngestWorker
) -> None:
    older = repo.commit(labelled(1))
    newer = repo.commit(labelled(2))
    await _ingested(engine, worker, newer)
    held = await _ingested(engine, worker, older)
    assert held.state == "superseded"
    assert "older than the active commit" in str(held.detail)


@pytest.mark.parametrize("consumer", ["adapted", "removed"])
async def test_a_push_that_also_adapts_or_removes_the_affected_sink_is_activated(
    engine: AsyncEngine, repo: ModelRepo, worker: IngestWorker, consumer: str
) -> None:
    await _ingested(engine, worker, repo.git("rev-parse", "HEAD"))
    commit = repo.commit(without_email(consumer))
    done = await _ingested(engine, worker, commit)
    assert (done.state, done.detail) == ("active", None)
    assert await active(engine) == (done.version_id, commit)


async def test_breaking_changes_allowed_are_activated(
    engine: AsyncEngine, repo: ModelRepo, settings: Settings
) -> None:
    worker = build_ingestion(
        engine, settings.model_copy(update={"breaking_changes": "allow"})
    ).worker
    await _ingested(engine, worker, repo.git("rev-parse", "HEAD"))
    commit = repo.commit(without_email())
    assert (await _ingested(engine, worker, commit)).state == "active"
