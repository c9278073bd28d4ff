"""The activation guard: consulted in the activating transaction, it can keep a version back."""

from __future__ import annotations

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import HeldBack, store_model
from app.db.tables import VersionState
from tests.catalog.variants import variant


async def _states(engine: AsyncEngine) -> dict[int, str]:
    async with engine.connect() as handle:
        raw = await handle.get_raw_connection()
        rows = await raw.driver_connection.fetch("SELECT id, state FROM model_versions")  # type: ignore[union-attr]
    return {row["id"]: row["state"] for row in rows}


async def test_a_guard_that_objects_keeps_the_active_version(engine: AsyncEngine) -> None:
    first = await store_model(engine, variant(1), source="repo")
    asked: list[tuple[int, bool]] = []

    async def objects(connection: asyncpg.Connection, version_id: int) -> HeldBack | None:
        # it runs inside the transaction: the version is written but not yet visible elsewhere
        in_transaction = connection.is_in_transaction()
        asked.append((version_id, in_transaction))
        return HeldBack("a newer commit is active")

    held = await store_model(engine, variant(2), source="repo", guard=objects)
    assert asked == [(held.id, True)]
    assert (held.state, held.held_back) == (VersionState.SUPERSEDED, "a newer commit is active")
    assert await _states(engine) == {first.id: "active", held.id: "superseded"}

    # the same content again: reused, and the guard is asked again before bringing it back
    again = await store_model(engine, variant(2), source="repo", guard=objects)
    assert (again.id, again.state, again.created) == (held.id, VersionState.SUPERSEDED, False)
    assert await _states(engine) == {first.id: "active", held.id: "superseded"}


async def test_a_guard_that_agrees_lets_the_version_activate(engine: AsyncEngine) -> None:
    await store_model(engine, variant(1), source="repo")

    async def agrees(connection: asyncpg.Connection, version_id: int) -> HeldBack | None:
        return None

    stored = await store_model(engine, variant(2), source="repo", guard=agrees)
    assert (stored.state, stored.held_back) == (VersionState.ACTIVE, None)
    assert (await _states(engine))[stored.id] == "active"
