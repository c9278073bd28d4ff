"""Breaking changes are held back: stored rejected with the reason, the active version serving."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.breaking import breaking_changes, breaking_guard
from app.catalog.store import StoredVersion, store_model
from app.catalog.versions import get_version
from app.db.engine import driver_connection
from app.db.tables import VersionState
from app.ecosystem.model import Model
from tests.catalog.variants import changed_model, variant, without_email

EMAIL = "Datastore/Customers/datasets/customers/columns/email"


async def _store_guarded(engine: AsyncEngine, model: Model, commit: str) -> StoredVersion:
    """Store a model as an ingest would: its breaking changes diffed first, then guarded."""
    async with engine.connect() as handle:
        found = await breaking_changes(await driver_connection(handle), model)
    guard = breaking_guard(model, found, commit)
    return await store_model(engine, model, source="repo", commit_sha=commit, guard=guard)


async def _version(engine: AsyncEngine, version_id: int) -> dict[str, Any]:
    async with engine.connect() as handle:
        return await get_version(await driver_connection(handle), version_id)


async def test_the_first_version_is_never_breaking(engine: AsyncEngine) -> None:
    # nothing is active: even a model without a column someone reads has nobody to break
    stored = await _store_guarded(engine, changed_model(without_email()), "c1")
    assert (stored.state, stored.held_back) == (VersionState.ACTIVE, None)


async def test_a_breaking_version_is_rejected_and_the_active_one_keeps_serving(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "ecoplane.catalog")  # its ingest's WARNING says why
    first = await _store_guarded(engine, variant(1), "c1")
    held = await _store_guarded(engine, changed_model(without_email()), "c2")
    assert held.state is VersionState.REJECTED
    assert held.held_back is not None
    assert f"breaking removed {EMAIL}" in held.held_back
    assert "(affects CustomerAnalytics)" in held.held_back
    assert f"against the active version {first.id}" in held.held_back
    stored = await _version(engine, held.id)
    assert (stored["state"], stored["errors"], stored["held_back"]) == (
        "rejected",
        0,
        held.held_back,
    )
    assert [(c["path"], c["affectedWorkspaces"]) for c in stored["breaking_changes"]] == [
        (EMAIL, ["CustomerAnalytics"])
    ]
    assert (await _version(engine, first.id))["state"] == "active"
    logged = [r.getMessage() for r in caplog.records if "held back" in r.getMessage()]
    assert logged and f"model version {held.id} (commit c2)" in logged[0]


@pytest.mark.parametrize("consumer", ["adapted", "removed"])
async def test_a_change_that_also_adapts_or_removes_the_affected_sink_is_activated(
    engine: AsyncEngine, consumer: str
) -> None:
    await _store_guarded(engine, variant(1), "c1")
    stored = await _store_guarded(engine, changed_model(without_email(consumer)), "c2")
    assert (stored.state, stored.held_back) == (VersionState.ACTIVE, None)


async def test_the_guard_diffs_again_when_another_version_was_activated_meanwhile(
    engine: AsyncEngine,
) -> None:
    # judged against a version without email and without its reader: nothing breaks...
    first = await store_model(engine, changed_model(without_email("removed")), source="repo")
    model = changed_model(without_email())
    async with engine.connect() as handle:
        found = await breaking_changes(await driver_connection(handle), model)
    assert (found.against, found.changes) == (first.id, ())
    # ...but before it is stored a version whose CustomerAnalytics reads email is activated:
    # the guard, under the activation lock, judges against that one
    await store_model(engine, variant(1), source="repo")
    held = await store_model(engine, model, source="repo", guard=breaking_guard(model, found, "c3"))
    assert held.state is VersionState.REJECTED
    assert held.held_back is not None and "(affects CustomerAnalytics)" in held.held_back
