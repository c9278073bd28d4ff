"""Retention and the search-index builds take turns: a version whose indexes are being made is not
dropped (a build's CREATE INDEX CONCURRENTLY waiting for the drop's transaction while the drop
waits for the build's partition is a deadlock, seen on PostgreSQL 15); past a bounded wait it is
left, with a line, to the next retention, and the other old versions are dropped."""

from __future__ import annotations

import logging

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog import retention
from app.catalog.retention import apply_retention
from app.catalog.search_indexes import LOCK_SPACE
from app.catalog.store import store_model
from app.db.urls import asyncpg_dsn
from tests.catalog.variants import variant


async def test_a_version_whose_search_indexes_are_being_made_is_left_to_the_next_retention(
    engine: AsyncEngine,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(retention, "BUILD_WAIT_SECONDS", 0)  # the build outlasts the wait
    ids = [(await store_model(engine, variant(n), source="repo")).id for n in range(3)]
    build = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await build.execute("SELECT pg_advisory_lock($1, $2)", LOCK_SPACE, ids[0])  # it builds
        with caplog.at_level(logging.INFO, logger="ecoplane.catalog"):
            assert await apply_retention(engine, keep=1) == ids[1:2]  # the other one dropped
        [said] = [r.getMessage() for r in caplog.records if "being made" in r.getMessage()]
        assert said == f"retention left model version {ids[0]}: its search indexes are being made"
        kept = await build.fetch("SELECT id FROM model_versions ORDER BY id")
        assert [r["id"] for r in kept] == [ids[0], ids[2]]
        await build.execute("SELECT pg_advisory_unlock($1, $2)", LOCK_SPACE, ids[0])
        assert await apply_retention(engine, keep=1) == ids[:1]  # the build ended: dropped
        held = await build.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::oid",
            LOCK_SPACE,
        )
        assert held == 0  # retention let the versions' locks go again
    finally:
        await build.close()
