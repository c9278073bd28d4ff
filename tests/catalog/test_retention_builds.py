"""Retention and the search-index builds take turns: a drop of old versions never runs while a
build runs (a build's CREATE INDEX CONCURRENTLY waiting for the drop's transaction while the drop
waits for the build's table is a deadlock, seen on PostgreSQL 15); it waits, bounded, and a
retention that waited in vain leaves every version for the next one."""

from __future__ import annotations

import logging

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog import retention
from app.catalog.retention import apply_retention
from app.catalog.search_indexes import BUILDS, LOCK_SPACE
from app.catalog.store import store_model
from app.db.urls import asyncpg_dsn
from tests.catalog.variants import variant


async def test_retention_waits_for_a_running_build_then_drops(
    engine: AsyncEngine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ids = [(await store_model(engine, variant(n), source="repo")).id for n in range(3)]
    build = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await build.execute("SELECT pg_advisory_lock_shared($1, $2)", LOCK_SPACE, BUILDS)
        monkeypatch.setattr(retention, "BUILDS_WAIT_SECONDS", 0)
        with caplog.at_level(logging.INFO, logger="ecoplane.catalog"):
            assert await apply_retention(engine, keep=1) == []  # a build runs: nothing dropped
        [said] = [r.getMessage() for r in caplog.records if "search-index builds" in r.getMessage()]
        assert said.startswith("retention waited 0 s for the search-index builds")
        kept = await build.fetch("SELECT id FROM model_versions ORDER BY id")
        assert [r["id"] for r in kept] == ids
        await build.execute("SELECT pg_advisory_unlock_shared($1, $2)", LOCK_SPACE, BUILDS)
        assert await apply_retention(engine, keep=1) == ids[:2]  # the build ended: dropped
        held = await build.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::oid"
            " AND objsubid = 2",
            LOCK_SPACE,
        )
        assert held == 0  # retention let the builds go again
    finally:
        await build.close()
