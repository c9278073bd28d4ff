"""An API client on the ASGI app, over a real database of its own."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import StoredVersion, store_model
from app.ecosystem.loader import load_directory
from app.main import create_app
from app.settings import Settings, TokenEntry
from tests.api.oidc_issuer import KEY, IssuerDouble
from tests.conftest import EXAMPLES
from tests.jobs.conftest import until

TOKENS = {"reader": "r-token", "operator": "o-token", "admin": "a-token"}


def token_entries() -> list[TokenEntry]:
    """The test tokens as settings hold them (digests only)."""
    scopes = {"reader": ["read"], "operator": ["operate"], "admin": ["admin"]}
    return [
        TokenEntry(
            name=name, sha256=hashlib.sha256(token.encode()).hexdigest(), scopes=scopes[name]
        )
        for name, token in TOKENS.items()
    ]


async def client_for(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client on a started app (its lifespan ran)."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A client with anonymous reads on and the test tokens configured; no model loaded."""
    async for client in client_for(api_settings(database_url, tmp_path)):
        yield client


def api_settings(database_url: str, tmp_path: Path) -> Settings:
    """The settings of the `api` client's app."""
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        warehouse_url=database_url,  # the security plan reads a database the test drops
        # roles are cluster-wide: a prefix nobody else uses keeps the plan (and its recorded
        # example) independent of roles that other tests or people left on a shared server
        role_prefix="acme_",
        security_marker="acme_managed",
        anonymous_read=True,
        tokens=token_entries(),
        active_version_seconds=0,
    )


@pytest.fixture
async def acme(engine: AsyncEngine) -> StoredVersion:
    """examples/acme stored and active."""
    return await store_acme(engine)


async def store_acme(engine: AsyncEngine) -> StoredVersion:
    """examples/acme stored and activated."""
    return await store_model(
        engine, load_directory(EXAMPLES / "acme"), source="acme", commit_sha="a1b2c3d4"
    )


async def ended_run(api: httpx.AsyncClient, run_id: int) -> dict[str, Any]:
    """A run once it has ended (polled through the API, bounded)."""

    async def check() -> dict[str, Any] | None:
        found: dict[str, Any] = (await api.get(f"/api/v1/runs/{run_id}")).json()
        return found if found["state"] not in ("queued", "running") else None

    ended: dict[str, Any] = await until(check, f"run {run_id} ended")
    return ended


@pytest.fixture
async def issuer() -> AsyncIterator[IssuerDouble]:
    """The OIDC issuer test double, serving with KEY published."""
    double = IssuerDouble()
    double.publish(KEY)
    await double.start()
    yield double
    await double.stop()
