"""Fixtures of the jobs tests: the jobs model stored and active, a pool, a service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import StoredVersion, store_model
from app.db.engine import create_pool
from app.jobs.runners.local import LocalRunner
from app.jobs.runs import Run, get_run
from app.jobs.service import JobService
from app.resources import with_run_subscribers
from app.security.secrets.base import Credentials, new_password
from app.security.secrets.local import LocalSecretStore
from app.security.secrets.run_secrets import run_secrets
from app.settings import Settings
from tests.jobs.model import jobs_model

BOUND = 60.0  # generous: conditions are awaited, never slept for


@pytest.fixture
async def stored(engine: AsyncEngine) -> StoredVersion:
    """The jobs model, stored and active."""
    return await store_model(engine, jobs_model(), source="jobs-test")


@pytest.fixture
async def pool(database_url: str, stored: StoredVersion) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the test database (the jobs model active)."""
    created = await create_pool(database_url)
    yield created
    await created.close()


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    """Settings with a data directory of the test's own."""
    return Settings(
        database_url="postgresql://unused",
        data_dir=tmp_path,
        scheduler=False,
    )


def fake_credentials(transformer: str) -> Credentials:
    """Credentials as the security sync would make them (no role has them: nothing logs in)."""
    return Credentials(f"dt_{transformer.lower()}", new_password(), "127.0.0.1", 5432, "warehouse")


async def give_credentials(settings: Settings, *transformers: str) -> dict[str, Credentials]:
    """Credentials of these transformers in the local store, staged and promoted as a sync does."""
    store = LocalSecretStore(settings.data_dir / "secrets" / "transformers")
    given = {}
    for transformer in transformers:
        given[transformer] = fake_credentials(transformer)
        await store.stage(transformer, given[transformer])
        await store.promote(transformer)
    return given


@pytest.fixture
async def service(pool: asyncpg.Pool, settings: Settings) -> AsyncIterator[JobService]:
    """A job service with the local runner; every transformer of the jobs model has credentials."""
    await give_credentials(settings, *jobs_model().transformers)
    created = with_run_subscribers(
        JobService(pool, settings, LocalRunner(settings, run_secrets(settings)))
    )
    yield created
    await created.close()


async def until(check: Callable[[], Awaitable[Any]], what: str) -> Any:
    """Wait until `check()` returns something true (polled, bounded by BOUND seconds)."""
    async with asyncio.timeout(BOUND):
        while not (found := await check()):
            await asyncio.sleep(0.02)
    assert found, what
    return found


async def run_of(pool: asyncpg.Pool, run_id: int) -> Run:
    """A run as recorded now."""
    async with pool.acquire() as connection:
        return await get_run(connection, run_id)  # type: ignore[arg-type]
