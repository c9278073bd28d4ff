"""POST /model-versions/{id}/activate: who may, what it needs, what it refuses, what GET shows."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.breaking import breaking_changes, breaking_guard
from app.catalog.overrides import REASON_MAX
from app.catalog.store import StoredVersion, store_model
from app.db.engine import driver_connection
from app.ecosystem.loader import load_texts
from tests.api.conftest import TOKENS
from tests.catalog.variants import changed_model, variant, without_email
from tests.ecosystem.modeltext import BASE

ADMIN = {"Authorization": f"Bearer {TOKENS['admin']}"}


async def _held_back(engine: AsyncEngine) -> StoredVersion:
    """A version held back for removing a column CustomerAnalytics reads."""
    model = changed_model(without_email())
    async with engine.connect() as handle:
        found = await breaking_changes(await driver_connection(handle), model)
    guard = breaking_guard(model, found, "c2")
    return await store_model(engine, model, source="repo", commit_sha="c2", guard=guard)


async def test_a_held_back_version_shows_why_and_its_breaking_changes(
    api: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    first = await store_model(engine, variant(1), source="repo", commit_sha="c1")
    held = await _held_back(engine)
    shown = (await api.get(f"/api/v1/model-versions/{held.id}")).json()
    assert (shown["state"], shown["errors"], shown["activations"]) == ("rejected", 0, [])
    assert f"against the active version {first.id}" in shown["heldBack"]
    [change] = shown["breakingChanges"]
    assert (change["rule"], change["affectedWorkspaces"]) == (
        "column-removed",
        ["CustomerAnalytics"],
    )
    listed = (await api.get("/api/v1/model-versions")).json()["items"]
    assert listed[0]["heldBack"] == shown["heldBack"]
    # its model is stored: it can be diffed against the active version before overriding
    diff = (await api.get(f"/api/v1/model-versions/{first.id}/diff/{held.id}")).json()
    assert diff["breaking"] == 1
    activated = (await api.get(f"/api/v1/model-versions/{first.id}")).json()["activations"]
    assert [(a["kind"], a["by"], a["fromVersion"]) for a in activated] == [
        ("automatic", "repo", None)
    ]


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": f"Bearer {TOKENS['operator']}"}, 403)],
)
async def test_activating_needs_the_admin_scope(
    api: httpx.AsyncClient, headers: dict[str, str], status: int
) -> None:
    answer = await api.post("/api/v1/model-versions/1/activate", headers=headers, content=b"{")
    assert answer.status_code == status  # the token is checked before the body is read


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reason": ""},
        {"reason": " \t\n"},
        {"reason": "x" * (REASON_MAX + 1)},
        {"reason": "ok", "by": "me"},
    ],
)
async def test_a_reason_is_required_and_bounded(
    api: httpx.AsyncClient, engine: AsyncEngine, body: dict[str, str]
) -> None:
    first = await store_model(engine, variant(1), source="repo")
    await store_model(engine, variant(2), source="repo")
    answer = await api.post(f"/api/v1/model-versions/{first.id}/activate", headers=ADMIN, json=body)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert (await api.get(f"/api/v1/model-versions/{first.id}")).json()["state"] == "superseded"


async def test_a_version_with_errors_or_none_at_all_is_refused(
    api: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await store_model(engine, variant(1), source="repo")
    broken = await store_model(
        engine,
        load_texts({**BASE, "x.yaml": "apiVersion: ecoplane.io/v1\nkind: Nope\n"}),
        source="repo",
    )
    answer = await api.post(
        f"/api/v1/model-versions/{broken.id}/activate", headers=ADMIN, json={"reason": "please"}
    )
    assert answer.status_code == 409
    problem = answer.json()
    assert problem["type"].endswith("version-not-activatable")
    assert "validation error" in problem["detail"] and f"/{broken.id}/problems" in problem["detail"]
    missing = await api.post(
        "/api/v1/model-versions/424242/activate", headers=ADMIN, json={"reason": "please"}
    )
    assert missing.status_code == 404
