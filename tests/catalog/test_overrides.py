"""Activating a stored version on purpose: overrides, rollbacks, what is refused, what is recorded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.activation import ActivationListener
from app.catalog.overrides import REASON_MAX, NotActivatableError, activate_on_purpose
from app.catalog.store import HeldBack, StoredVersion, store_model
from app.catalog.versions import get_version, resolve_version
from app.db.engine import driver_connection
from app.db.tables import ActivationKind, VersionState
from app.db.urls import asyncpg_dsn
from app.ecosystem.loader import load_texts
from app.errors import InvalidParameterError, NotFoundError
from tests.catalog.test_activation import Heard
from tests.catalog.variants import variant
from tests.ecosystem.modeltext import BASE


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    async with engine.connect() as handle:
        yield await driver_connection(handle)


async def _held_back(engine: AsyncEngine, n: int) -> StoredVersion:
    """A version kept rejected for breaking changes (as the breaking guard keeps one)."""

    async def rejects(_connection: asyncpg.Connection, _version_id: int) -> HeldBack:
        return HeldBack("1 breaking change(s): removed phone", VersionState.REJECTED)

    return await store_model(engine, variant(n), source="repo", commit_sha=f"c{n}", guard=rejects)


async def _state(connection: asyncpg.Connection, version_id: int) -> dict[str, Any]:
    return await get_version(connection, version_id)


async def test_an_override_activates_a_version_held_back_and_records_who_and_why(
    engine: AsyncEngine, connection: asyncpg.Connection, database_url: str
) -> None:
    first = await store_model(engine, variant(1), source="repo", commit_sha="c1")
    held = await _held_back(engine, 2)
    listener, heard = ActivationListener(asyncpg_dsn(database_url)), Heard()
    listener.subscribe(heard)  # what the scheduler (the security sync) subscribes through
    await listener.start(first.id)
    try:
        kind = await activate_on_purpose(
            connection, held.id, by="release-manager", reason="  consumers agreed  "
        )
        assert await heard.until(1) == [held.id]
    finally:
        await listener.stop()
    assert kind is ActivationKind.OVERRIDE
    version = await _state(connection, held.id)
    assert version["state"] == "active"
    assert version["held_back"] == "1 breaking change(s): removed phone"  # kept: the history
    latest = version["activations"][0]
    assert (latest["kind"], latest["by"], latest["reason"], latest["from_version"]) == (
        "override", "release-manager", "consumers agreed", first.id,
    )  # fmt: skip
    assert (await _state(connection, first.id))["state"] == "superseded"


async def test_a_rollback_activates_an_older_version_again(
    engine: AsyncEngine, connection: asyncpg.Connection
) -> None:
    first = await store_model(engine, variant(1), source="repo", commit_sha="c1")
    second = await store_model(
        engine, variant(2), source="repo", commit_sha="c2", activated_by="ingest 7"
    )
    kind = await activate_on_purpose(connection, first.id, by="oncall", reason="v2 broke masking")
    assert kind is ActivationKind.ROLLBACK
    assert (await resolve_version(connection, None)).id == first.id
    activations = (await _state(connection, first.id))["activations"]
    assert [(a["kind"], a["by"], a["from_version"]) for a in activations] == [
        ("rollback", "oncall", second.id),
        ("automatic", "repo", None),  # the first store: nothing was active before
    ]
    automatic = (await _state(connection, second.id))["activations"]
    assert [(a["kind"], a["by"], a["reason"]) for a in automatic] == [
        ("automatic", "ingest 7", "stored from repo at commit c2")
    ]


async def test_a_version_with_errors_is_never_activated(
    engine: AsyncEngine, connection: asyncpg.Connection
) -> None:
    active = await store_model(engine, variant(1), source="repo")
    broken = await store_model(
        engine,
        load_texts({**BASE, "x.yaml": "apiVersion: ecoplane.io/v1\nkind: Nope\n"}),
        source="repo",
    )
    with pytest.raises(NotActivatableError, match=r"has 1 validation error\(s\)"):
        await activate_on_purpose(connection, broken.id, by="admin", reason="please")
    with pytest.raises(NotActivatableError, match="already active"):
        await activate_on_purpose(connection, active.id, by="admin", reason="again")
    with pytest.raises(NotFoundError, match="model version 999999 does not exist"):
        await activate_on_purpose(connection, 999999, by="admin", reason="nothing")
    await connection.execute("UPDATE model_versions SET state = 'failed' WHERE id = $1", broken.id)
    with pytest.raises(NotActivatableError, match="is failed: its model is not stored"):
        await activate_on_purpose(connection, broken.id, by="admin", reason="please")
    assert (await resolve_version(connection, None)).id == active.id
    assert (await _state(connection, broken.id))["activations"] == []


@pytest.mark.parametrize("reason", ["", "   \n", "x" * (REASON_MAX + 1)])
async def test_an_activation_needs_a_reason_of_bounded_length(
    engine: AsyncEngine, connection: asyncpg.Connection, reason: str
) -> None:
    first = await store_model(engine, variant(1), source="repo")
    await store_model(engine, variant(2), source="repo")
    with pytest.raises(InvalidParameterError, match="reason"):
        await activate_on_purpose(connection, first.id, by="admin", reason=reason)
    assert (await _state(connection, first.id))["state"] == "superseded"


async def test_a_version_held_back_for_breaking_changes_can_be_read_and_diffed(
    engine: AsyncEngine, connection: asyncpg.Connection
) -> None:
    await store_model(engine, variant(1), source="repo")
    held = await _held_back(engine, 2)
    assert (await resolve_version(connection, str(held.id))).state == "rejected"
