"""What the tests of the database's tokens share: making one through the API as admin, and
the resources of a client's app."""

from __future__ import annotations

from typing import Any

import httpx

from app.resources import Resources
from tests.api.conftest import TOKENS

ADMIN = {"Authorization": f"Bearer {TOKENS['admin']}"}


def bearer(secret: str) -> dict[str, str]:
    """The Authorization header of a token."""
    return {"Authorization": f"Bearer {secret}"}


async def made(api: httpx.AsyncClient, **request: Any) -> dict[str, Any]:
    """A token created through the API by the admin token (201), with its secret."""
    answer = await api.post("/api/v1/tokens", json=request, headers=ADMIN)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def resources_of(api: httpx.AsyncClient) -> Resources:
    """The resources of the app a test client talks to."""
    transport = api._transport
    assert isinstance(transport, httpx.ASGITransport)
    found: Resources = transport.app.state.resources  # type: ignore[attr-defined]
    return found
