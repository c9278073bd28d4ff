"""Answers of a model version kept in memory: the same answer, never an older version's, tagged."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import StoredVersion, store_model
from app.ecosystem.loader import load_texts
from app.main import create_app
from app.settings import Settings
from tests.api.conftest import TOKENS, client_for, token_entries
from tests.ecosystem.modeltext import BASE as SMALL_MODEL
from tests.jobs.conftest import until

WORKSPACE = "/api/v1/workspaces/CustomerSegmentation"
WORKSPACES = "/api/v1/workspaces?limit=500"


def _settings(database_url: str, tmp_path: Path, **overrides: object) -> Settings:
    given: dict[str, object] = {
        "database_url": database_url,
        "data_dir": tmp_path / "data",
        "anonymous_read": True,
        "tokens": token_entries(),
        "active_version_seconds": 60.0,  # only an activation makes it read the version again
        **overrides,
    }
    return Settings(**given)  # type: ignore[arg-type]


@pytest.fixture
async def kept(database_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A client on an app that keeps answers and reads the active version once a minute."""
    async for client in client_for(_settings(database_url, tmp_path)):
        yield client


async def _count(api: httpx.AsyncClient, outcome: str) -> float:
    found = re.search(
        rf'ecoplane_version_answers_total{{outcome="{outcome}"}} ([\d.]+)',
        (await api.get("/metrics")).text,
    )
    return float(found.group(1)) if found else 0.0


async def test_a_kept_answer_is_the_answer_and_comes_from_memory(
    kept: httpx.AsyncClient, acme: StoredVersion, engine: AsyncEngine
) -> None:
    made = await kept.get(WORKSPACE)
    assert made.status_code == 200 and made.json()["name"] == "CustomerSegmentation"
    async with engine.begin() as db:  # stored rows never change; this one does, behind its back
        await db.execute(
            text(
                "UPDATE model_workspaces SET description = 'changed' "
                "WHERE version_id = :v AND name = 'CustomerSegmentation'"
            ),
            {"v": acme.id},
        )
    hits = await _count(kept, "hit")
    again = await kept.get(WORKSPACE)
    assert again.content == made.content and again.headers["etag"] == made.headers["etag"]
    assert again.headers["content-type"] == "application/json"
    assert await _count(kept, "hit") == hits + 1
    other = await kept.get(WORKSPACE + "?unused=1")  # another URL: made now, from the rows
    assert other.json()["description"] == "changed"
    text_ = (await kept.get("/metrics")).text  # the route is named in the access metrics
    assert (
        'ecoplane_http_requests_total{method="GET",route="/api/v1/workspaces/{name}",status="200"} 3.0'
        in text_
    )


async def test_an_activation_is_never_answered_from_the_older_version(
    kept: httpx.AsyncClient, acme: StoredVersion, engine: AsyncEngine
) -> None:
    older = await kept.get(WORKSPACES)
    assert "CustomerSegmentation" in older.text
    newer = await store_model(engine, load_texts(dict(SMALL_MODEL)), source="small")

    async def answered_from_newer() -> httpx.Response | None:
        found = await kept.get(WORKSPACES)
        return found if "CustomerSegmentation" not in found.text else None

    now = await until(answered_from_newer, "the newer version answered")
    assert now.headers["etag"] != older.headers["etag"]
    names = {w["name"] for w in now.json()["items"]}
    assert names == {w.name for w in load_texts(dict(SMALL_MODEL)).workspaces.values()}
    pinned = await kept.get(f"{WORKSPACES}&version={acme.id}")  # the older one, when asked for
    assert pinned.json() == older.json()
    assert (await kept.get(f"{WORKSPACES}&version={newer.id}")).json() == now.json()


async def test_if_none_match_gets_304_whether_kept_or_made(
    kept: httpx.AsyncClient, acme: StoredVersion
) -> None:
    first = await kept.get(WORKSPACE)
    etag = first.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{24}"', etag) and first.headers["cache-control"] == "no-cache"
    for given in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        unchanged = await kept.get(WORKSPACE, headers={"If-None-Match": given})
        assert unchanged.status_code == 304 and unchanged.content == b"", given
        assert unchanged.headers["etag"] == etag
    assert (await kept.get(WORKSPACE, headers={"If-None-Match": '"other"'})).status_code == 200
    misses = await _count(kept, "miss")
    made = await kept.get(WORKSPACE + "?fresh=1", headers={"If-None-Match": etag})
    assert made.status_code == 304 and await _count(kept, "miss") == misses + 1


async def test_kept_answers_still_need_a_token_that_may_read(
    database_url: str, tmp_path: Path, acme: StoredVersion
) -> None:
    settings = _settings(database_url, tmp_path, anonymous_read=False)
    async for closed in client_for(settings):
        reader = {"Authorization": f"Bearer {TOKENS['reader']}"}
        assert (await closed.get(WORKSPACE, headers=reader)).status_code == 200
        assert (await closed.get(WORKSPACE, headers=reader)).status_code == 200  # kept now
        anonymous = await closed.get(WORKSPACE)
        assert anonymous.status_code == 401 and "etag" not in anonymous.headers
        wrong = await closed.get(WORKSPACE, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and "not valid" in wrong.json()["detail"]
        operator = {"Authorization": f"Bearer {TOKENS['operator']}"}
        assert (await closed.get(WORKSPACE, headers=operator)).status_code == 200


async def test_answers_that_change_between_versions_are_not_kept(
    kept: httpx.AsyncClient, acme: StoredVersion
) -> None:
    for path in (
        "/api/v1/transformers/mask_customers",  # its latest run
        "/api/v1/model-versions",  # states
        "/api/v1/runs",
        "/api/v1/workspaces/Nope",  # a 404 is answered each time
    ):
        assert "etag" not in (await kept.get(path)).headers, path
    assert await _count(kept, "miss") == 0


async def test_with_no_memory_answers_are_still_tagged(
    database_url: str, tmp_path: Path, acme: StoredVersion
) -> None:
    async for api in client_for(_settings(database_url, tmp_path, answer_cache_mb=0)):
        first = await api.get(WORKSPACE)
        unchanged = await api.get(WORKSPACE, headers={"If-None-Match": first.headers["etag"]})
        assert unchanged.status_code == 304
        assert await _count(api, "hit") == 0 and await _count(api, "miss") == 2


def test_the_openapi_document_says_which_answers_are_tagged() -> None:
    operations = {
        operation["operationId"]: operation
        for methods in create_app().openapi()["paths"].values()
        for operation in methods.values()
    }
    workspace = operations["workspace"]
    assert "ETag" in workspace["responses"]["200"]["headers"]
    assert "304" in workspace["responses"]
    assert any(p["name"] == "If-None-Match" for p in workspace["parameters"])
    for unkept in ("transformer", "runs", "versions", "ecosystem"):
        assert "304" not in operations[unkept]["responses"], unkept
