"""The console over a real database holding examples/acme: an ASGI client for server-side checks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import StoredVersion
from tests.api.conftest import (
    api_settings,
    client_for,
    issuer,  # noqa: F401 (the OIDC issuer double, a fixture here too)
    store_acme,
)


@pytest.fixture
async def acme(engine: AsyncEngine) -> StoredVersion:
    """examples/acme stored and active."""
    return await store_acme(engine)


@pytest.fixture
async def console(
    database_url: str, tmp_path: Path, acme: StoredVersion
) -> AsyncIterator[tuple[httpx.AsyncClient, StoredVersion]]:
    """A client on the started app with examples/acme active (anonymous reads are open)."""
    async for client in client_for(api_settings(database_url, tmp_path)):
        yield client, acme
