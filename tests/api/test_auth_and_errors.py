"""Bearer tokens and scopes; errors as problem+json; readiness; no model active yet."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app.api import problems
from app.api.auth import require
from app.catalog.store import StoredVersion
from app.resources import Resources
from app.settings import Settings
from tests.api.conftest import TOKENS, client_for, token_entries

DATASTORES = "/api/v1/datastores"


@pytest.fixture
async def closed(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client on an app whose reads need a token."""
    settings = Settings(
        database_url=database_url,
        anonymous_read=False,
        tokens=token_entries(),
        active_version_seconds=0,
    )
    async for client in client_for(settings):
        yield client


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_reads_need_a_valid_token_when_anonymous_reads_are_off(
    closed: httpx.AsyncClient, acme: StoredVersion
) -> None:
    anonymous = await closed.get(DATASTORES)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert anonymous.headers["content-type"] == "application/problem+json"
    wrong = await closed.get(DATASTORES, headers=_bearer("not-a-token"))
    assert wrong.status_code == 401 and "not valid" in wrong.json()["detail"]
    basic = await closed.get(DATASTORES, headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert basic.status_code == 401
    for name in ("reader", "operator", "admin"):  # operate and admin include read
        allowed = await closed.get(DATASTORES, headers=_bearer(TOKENS[name]))
        assert allowed.status_code == 200, name


async def test_anonymous_reads_when_open(api: httpx.AsyncClient, acme: StoredVersion) -> None:
    assert (await api.get(DATASTORES)).status_code == 200


async def test_insufficient_scope_is_403_and_anonymous_is_401() -> None:
    app = FastAPI()
    problems.install(app)
    settings = Settings(
        database_url="postgresql://unused/x", anonymous_read=True, tokens=token_entries()
    )
    app.state.resources = Resources(settings, *[None] * 8)  # type: ignore[arg-type]

    @app.post("/operate", dependencies=[require("operate")])
    async def operate() -> dict[str, str]:
        return {"ok": "yes"}

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        reader = await client.post("/operate", headers=_bearer(TOKENS["reader"]))
        assert reader.status_code == 403 and "lacks the 'operate' scope" in reader.json()["detail"]
        assert (
            await client.post("/operate", headers=_bearer(TOKENS["operator"]))
        ).status_code == 200
        assert (await client.post("/operate")).status_code == 401


async def test_no_active_model_is_503_and_not_ready(api: httpx.AsyncClient) -> None:
    response = await api.get(DATASTORES)
    assert response.status_code == 503
    assert response.json()["type"] == "no-active-model"
    assert (await api.get("/readyz")).status_code == 503
    assert (await api.get("/healthz")).json() == {"status": "ok"}


async def test_ready_with_a_model_and_unknown_versions_are_404(
    api: httpx.AsyncClient, acme: StoredVersion
) -> None:
    assert (await api.get("/readyz")).json() == {"status": "ready", "activeVersion": acme.id}
    by_id = await api.get(f"{DATASTORES}?version=999")
    assert by_id.status_code == 404 and "999" in by_id.json()["detail"]
    by_sha = await api.get(f"{DATASTORES}?version=a1b2c3d4")
    assert by_sha.status_code == 200 and len(by_sha.json()["items"]) == 24
    junk = await api.get(f"{DATASTORES}?version=not;a-version")
    assert junk.status_code == 422 and junk.json()["errors"][0]["parameter"] == "version"
    unknown_route = await api.get("/api/v1/nothing-here")
    assert (
        unknown_route.status_code == 404
        and unknown_route.headers["content-type"] == "application/problem+json"
    )
