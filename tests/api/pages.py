"""Walking a paged list of the API to its last page."""

from __future__ import annotations

from typing import Any

import httpx


async def walk(api: httpx.AsyncClient, path: str, query: str = "", limit: int = 50) -> list[Any]:
    """Every item of a list, page by page; each page holds at most `limit` items."""
    items: list[Any] = []
    cursor = None
    for _ in range(100):
        params = f"{query}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = await api.get(f"{path}?{params}")
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= limit
        items += body["items"]
        cursor = body["nextCursor"]
        if cursor is None:
            return items
    raise AssertionError("paging did not end")


async def names(api: httpx.AsyncClient, path: str, query: str = "", limit: int = 50) -> list[str]:
    """The names of every item of a list."""
    return [item["name"] for item in await walk(api, path, query, limit)]


async def assert_names_parameter(api: httpx.AsyncClient, url: str, parameter: str) -> None:
    """The request is refused with 422, naming the parameter at fault first."""
    response = await api.get(url)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["parameter"] == parameter
