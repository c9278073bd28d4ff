"""An ingestion run is no transformer: its target (a datastore) starts no transformer's chain."""

from __future__ import annotations

import asyncpg

from app.catalog.store import StoredVersion
from app.jobs.dependents import Dependents
from app.jobs.pooled import acquire
from app.jobs.runs import FIELDS, Run
from app.settings import Settings


async def _succeeded(pool: asyncpg.Pool, kind: str, target: str, version: int) -> Run:
    async with acquire(pool) as connection:
        row = await connection.fetchrow(
            "INSERT INTO runs (kind, target, version_id, trigger, state) VALUES"
            f" ($1, $2, $3, 'manual', 'succeeded') RETURNING {FIELDS}",
            kind,
            target,
            version,
        )
    assert row is not None
    return Run.from_row(row)


async def test_a_datastore_named_like_a_transformer_starts_not_its_chain(
    pool: asyncpg.Pool, stored: StoredVersion, settings: Settings
) -> None:
    started: list[str] = []

    async def start(name: str, trigger: str, key: str, by: str) -> int | None:
        started.append(name)
        return None

    dependents = Dependents(pool, settings, start)
    await dependents.after(await _succeeded(pool, "ingestion", "chain_a", stored.id))
    assert started == []  # app/ingestion/followup.py decides what a batch starts
    await dependents.after(await _succeeded(pool, "transformer", "chain_a", stored.id))
    assert started == ["chain_b"]  # the same target as a transformer: its chain
