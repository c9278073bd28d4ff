"""A paged walk across an activation: the cursor holds the version the walk started on, and
every answer of a model read names the version it was read from (Ecoplane-Model-Version),
kept answers and 304s included."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.paging import encode_cursor
from app.api.version_answers import MODEL_VERSION_HEADER
from app.catalog.retention import apply_retention
from app.catalog.store import StoredVersion, store_model
from app.ecosystem.loader import load_texts
from app.main import create_app
from app.settings import Settings
from tests.api.conftest import api_settings, client_for, store_acme
from tests.ecosystem.modeltext import BASE as SMALL_MODEL
from tests.jobs.conftest import until

WORKSPACES = "/api/v1/workspaces?limit=2"
VERSION = MODEL_VERSION_HEADER.lower()


@pytest.fixture
async def kept(database_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A client on a service that keeps answers and reads the active version once a minute."""
    settings = api_settings(database_url, tmp_path).model_copy(
        update={"active_version_seconds": 60.0, "answer_cache_mb": 16}
    )
    async for client in client_for(settings):
        yield client


@pytest.fixture
async def acme(engine: AsyncEngine) -> StoredVersion:
    """examples/acme stored and active."""
    return await store_acme(engine)


async def _activated(kept: httpx.AsyncClient, engine: AsyncEngine) -> StoredVersion:
    """A smaller model stored and activated, once the service answers from it."""
    newer = await store_model(engine, load_texts(dict(SMALL_MODEL)), source="small")

    async def answered_from_newer() -> httpx.Response | None:
        found = await kept.get("/api/v1/ecosystem")
        return found if found.headers[VERSION] == str(newer.id) else None

    await until(answered_from_newer, "the newer version answered")
    return newer


async def test_a_paged_walk_keeps_reading_the_version_it_started_on(
    kept: httpx.AsyncClient, acme: StoredVersion, engine: AsyncEngine
) -> None:
    whole = (await kept.get(f"/api/v1/workspaces?limit=500&version={acme.id}")).json()["items"]
    first = await kept.get(WORKSPACES)
    assert first.headers[VERSION] == str(acme.id)
    cursor = first.json()["nextCursor"]
    newer = await _activated(kept, engine)
    assert (await kept.get(WORKSPACES)).headers[VERSION] == str(newer.id)  # a new walk: newer
    for _ in range(2):  # made, then kept: both from the walk's version, and saying so
        second = await kept.get(f"{WORKSPACES}&cursor={cursor}")
        assert second.headers[VERSION] == str(acme.id)
        assert second.json()["items"] == whole[2:4]
    same = await kept.get(
        f"{WORKSPACES}&cursor={cursor}", headers={"If-None-Match": second.headers["etag"]}
    )
    assert same.status_code == 304 and same.headers[VERSION] == str(acme.id)
    asked = await kept.get(f"{WORKSPACES}&cursor={cursor}&version={acme.id}")
    assert asked.json()["items"] == whole[2:4]
    escaped = await kept.get(f"{WORKSPACES}&%63ursor={cursor}")  # "cursor" spelled with an escape
    assert escaped.headers[VERSION] == str(acme.id) and escaped.json()["items"] == whole[2:4]
    other = await kept.get(f"{WORKSPACES}&cursor={cursor}&version={newer.id}")
    assert other.status_code == 422 and other.json()["errors"][0]["parameter"] == "cursor"
    assert f"made from model version {acme.id}" in other.json()["detail"]


async def test_a_walk_whose_version_is_gone_is_told_to_start_again(
    kept: httpx.AsyncClient, acme: StoredVersion, engine: AsyncEngine
) -> None:
    teams = await kept.get("/api/v1/teams?limit=1")
    consumers = await kept.get("/api/v1/datastores/Positions/consumers?limit=1")
    await _activated(kept, engine)
    assert await apply_retention(engine, 1) == [acme.id]
    for started in (teams, consumers):
        url = f"{started.url.path}?limit=1&cursor={started.json()['nextCursor']}"
        gone = await kept.get(url)
        assert gone.status_code == 410, (url, gone.text)
        assert gone.headers["content-type"] == "application/problem+json"
        assert gone.json()["type"] == "cursor-expired"
        assert f"model version {acme.id}, which is no longer stored" in gone.json()["detail"]


@pytest.mark.parametrize(
    "cursor",
    [
        encode_cursor({"v": "1", "k": "x"}),
        encode_cursor({"v": True, "k": "x"}),
        encode_cursor({"v": 2**70, "k": "x"}),
        encode_cursor({"v": 1}),
        encode_cursor({"k": "x"}),
    ],
)
async def test_a_cursor_with_a_version_it_was_not_given_is_refused(
    kept: httpx.AsyncClient, acme: StoredVersion, cursor: str
) -> None:
    answer = await kept.get(f"{WORKSPACES}&cursor={cursor}")
    assert answer.status_code == 422 and answer.json()["errors"][0]["parameter"] == "cursor"


async def test_cursors_of_before_still_page_the_active_version(
    kept: httpx.AsyncClient, acme: StoredVersion
) -> None:
    whole = (await kept.get("/api/v1/workspaces?limit=500")).json()["items"]
    old = encode_cursor(whole[1]["name"])  # a cursor as it was: the key alone
    answer = await kept.get(f"{WORKSPACES}&cursor={old}")
    assert answer.json()["items"] == whole[2:4] and answer.headers[VERSION] == str(acme.id)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/ecosystem",
        "/api/v1/transformers/mask_customers",  # never kept
        "/api/v1/lineage?node=datastore:Customers",
        "/api/v1/workspaces/Nope",  # a 404 of the version says which one it looked in
    ],
)
async def test_every_model_read_names_its_version(
    kept: httpx.AsyncClient, acme: StoredVersion, url: str
) -> None:
    for _ in range(2):
        assert (await kept.get(url)).headers[VERSION] == str(acme.id)


async def test_answers_that_are_no_model_read_name_no_version(
    kept: httpx.AsyncClient, acme: StoredVersion
) -> None:
    for url in ("/api/v1/runs", "/api/v1/model-versions", "/healthz", "/api/v1/nope"):
        assert VERSION not in (await kept.get(url)).headers


def test_the_openapi_document_names_the_header_on_every_model_read() -> None:
    document = create_app(Settings()).openapi()
    reads = {
        operation["operationId"]: operation["responses"]
        for operations in document["paths"].values()
        for operation in operations.values()
        if any(p["name"] == "version" for p in operation.get("parameters", []))
    }
    assert {"workspaces", "ecosystem", "transformer", "lineage_graph"} <= set(reads)
    for name, responses in reads.items():
        assert MODEL_VERSION_HEADER in responses["200"]["headers"], name
    assert MODEL_VERSION_HEADER in reads["workspaces"]["304"]["headers"]
