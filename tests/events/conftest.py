"""Fixtures of the events tests: receivers, a pool, and subscriptions registered."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest

from app.db.urls import asyncpg_dsn
from app.events.formats import FORMATS
from app.events.subscriptions import configured, register
from app.settings import Settings
from tests.events.receiver import Receiver

SECRET = "s3cret-for-tests"


@pytest.fixture
async def receivers() -> AsyncIterator[Callable[..., Any]]:
    """Make started receivers; all are stopped at the end."""
    made: list[Receiver] = []

    async def make(**kwargs: Any) -> Receiver:
        receiver = Receiver(**kwargs)
        await receiver.start()
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        await receiver.stop()


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the test database."""
    made = await asyncpg.create_pool(asyncpg_dsn(database_url), min_size=1, max_size=4)
    yield made
    await made.close()


def event_settings(database_url: str, notify: list[dict[str, Any]], **more: Any) -> Settings:
    """Settings with these subscriptions and fast retries."""
    values: dict[str, Any] = {
        "database_url": database_url, "notify": json.dumps(notify),
        "event_backoff_seconds": 0.01, "event_timeout_seconds": 1.0, "event_max_attempts": 3,
    }  # fmt: skip
    return Settings(**{**values, **more})


async def subscribe(pool: asyncpg.Pool, settings: Settings) -> None:
    """Register the settings' subscriptions (as a start does)."""
    environ = {"HOOK_SECRET": SECRET}
    async with pool.acquire() as connection:
        await register(connection, configured(settings, list(FORMATS), environ))  # type: ignore[arg-type]
