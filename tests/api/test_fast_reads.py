"""The fast reads (app/api/fast_reads.py) answer exactly as the FastAPI routes they stand for.

Every fast-path route is asked through an app with the fast path and through one without it,
on the same database and version: existing and missing names, good and bad parameters, every
kind of caller (anonymous with reads open and closed, each token, a bad token, a bad scheme),
and the answers' status, headers and body must be the same byte for byte (the request id
aside: it is per request).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.api import fast_reads
from app.api.fast_reads import FastRead, FastReads
from app.catalog.store import StoredVersion
from app.main import create_app
from app.settings import Settings
from tests.api.conftest import TOKENS, api_settings

# each fast-path route: existing and missing names, its parameters, good and bad
PATHS = [
    "/healthz",
    "/healthz?probe=1",
    "/healthz?probe=%00",
    "/readyz",  # not a fast read: FastAPI answers it either way
    "/api/v1/workspaces/CustomerSegmentation",
    "/api/v1/workspaces/Nope",
    "/api/v1/transformers/segment_customers",
    "/api/v1/transformers/nope",
    "/api/v1/datastores/Customers",
    "/api/v1/datastores/Nope",
    "/api/v1/datastores/Customers/datasets/customers",
    "/api/v1/datastores/Customers/datasets/nope",
    "/api/v1/datastores/Nope/datasets/customers",
    "/api/v1/datastores",
    "/api/v1/datastores?limit=2",
    "/api/v1/datastores?limit=2&zone=retail&productionStatus=production",
    "/api/v1/datastores?limit=0",  # FastAPI says what is wrong
    "/api/v1/datastores?productionStatus=maybe",
    "/api/v1/datastores?deprecated=false&q=cust&classification=pii",
    "/api/v1/datastores?cursor=ImEi",  # not a cursor of a version's list
    "/api/v1/datastores?cursor=%%%",
    "/api/v1/datastores?limit=2&limit=3",  # the last one, as FastAPI reads it
    "/api/v1/datastores?unknown=1",
    # a parameter given is validated, the others take their defaults: empty and bad values
    "/api/v1/datastores?zone=&limit=2",
    "/api/v1/datastores?deprecated=maybe",
    "/api/v1/datastores?limit=",
    "/api/v1/datastores/Positions/consumers?limit=1&cursor=",
    "/api/v1/lineage?node=datastore:Positions&depth=",
    "/api/v1/datastores/Positions/consumers",
    "/api/v1/datastores/Positions/consumers?limit=1",
    "/api/v1/datastores/Nope/consumers",
    "/api/v1/lineage?node=datastore:Positions&direction=downstream&depth=3",
    "/api/v1/lineage?node=transformer:segment_customers&direction=both&depth=10",
    "/api/v1/lineage?node=datastore:Nope",
    "/api/v1/lineage?node=bad",
    "/api/v1/lineage?node=datastore:Positions&depth=0",
    "/api/v1/lineage?node=datastore:Positions&direction=sideways",
    "/api/v1/lineage",
    "/api/v1/workspaces/CustomerSegmentation?version=a1b2c3d4",
    "/api/v1/workspaces/CustomerSegmentation?version=1",
    "/api/v1/workspaces/CustomerSegmentation?version=999999",
    "/api/v1/workspaces/CustomerSegmentation?version=",
    "/api/v1/workspaces/" + "x" * 201,  # over the path parameter's bound: a 422 of FastAPI's
    "/api/v1/workspaces/" + "x" * 200,  # at the bound: a 404
    "/api/v1/datastores/Customers/datasets/" + "é" * 200,  # the bound counts characters
    "/api/v1/datastores/Customers/datasets/" + "é" * 201,
    "/api/v1/transformers/%C3%A9t%C3%A9",
    "/api/v1/workspaces/CustomerSegmentation/",  # a trailing slash: FastAPI's routing
    "/api/v1/workspaces/Cust%00omer",  # a NUL: refused, as FastAPI's dependency refuses it
    "/api/v1/datastores?zone=a%00b",
    "/api/v1/workspaces/Customer%20Segmentation",
]
CALLERS = {
    "anonymous": {},
    "reader": {"Authorization": f"Bearer {TOKENS['reader']}"},
    "admin": {"Authorization": f"Bearer {TOKENS['admin']}"},
    "operator": {"Authorization": f"Bearer {TOKENS['operator']}"},
    "bad token": {"Authorization": "Bearer nope"},
    "bad scheme": {"Authorization": "Basic eDp5"},
}


async def _client(settings: Settings, fast: bool) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, fast_reads=fast)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def _both(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async for fast in _client(settings, True):
        async for routed in _client(settings, False):
            yield fast, routed


def _seen(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in response.headers.multi_items() if k != "x-request-id"]
    return response.status_code, headers, response.content


async def _compare(
    fast: httpx.AsyncClient, routed: httpx.AsyncClient, headers: dict[str, str]
) -> int:
    """Every path asked of both apps, answers compared; the number of 200 answers."""
    ok = 0
    for path in PATHS:
        one, other = await fast.get(path, headers=headers), await routed.get(path, headers=headers)
        assert _seen(one) == _seen(other), (path, headers)
        ok += one.status_code == 200 and path.startswith("/api/v1/")  # a read, not a probe
    return ok


@pytest.fixture
async def both(
    database_url: str, tmp_path: Path, acme: StoredVersion
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """The same service with and without the fast path; answers are never kept."""
    settings = api_settings(database_url, tmp_path).model_copy(update={"answer_cache_mb": 0})
    async for pair in _both(settings):
        yield pair


async def test_every_fast_read_answers_as_its_route(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    fast, routed = both
    assert await _compare(fast, routed, CALLERS["anonymous"]) >= 12  # not only refusals
    for name, headers in CALLERS.items():
        answered = await _compare(fast, routed, headers)
        assert (answered > 0) == (name in ("anonymous", "reader", "admin", "operator")), name


async def test_closed_reads_are_refused_alike(
    database_url: str, tmp_path: Path, acme: StoredVersion
) -> None:
    settings = api_settings(database_url, tmp_path).model_copy(
        update={"anonymous_read": False, "answer_cache_mb": 0}
    )
    async for fast, routed in _both(settings):
        assert await _compare(fast, routed, CALLERS["anonymous"]) == 0
        assert await _compare(fast, routed, CALLERS["reader"]) >= 12


async def test_the_fast_path_answers_and_logs_the_route(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fast, _ = both
    taken: list[str] = []
    original = FastReads._match

    def spied(self: FastReads, scope: Any) -> Any:
        found = original(self, scope)
        taken.append(str(scope["path"]) if found else "")
        return found

    monkeypatch.setattr(FastReads, "_match", spied)
    with caplog.at_level(logging.INFO, logger="ecoplane.access"):
        answered = await fast.get("/api/v1/datastores/Customers/datasets/customers")
        routed = await fast.get("/api/v1/datastores/Customers/datasets/customers/")
    assert (
        answered.status_code == 200
        and taken[0] == "/api/v1/datastores/Customers/datasets/customers"
    )
    assert routed.status_code == 307 and taken[1] == ""  # FastAPI redirects it
    routes = [getattr(r, "route", None) for r in caplog.records if r.name == "ecoplane.access"]
    assert routes[0] == "/api/v1/datastores/{name}/datasets/{dataset}"


async def test_a_query_is_validated_once_kept_within_bounds_and_answers_alike(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, routed = both
    validated: list[bytes] = []
    original = FastRead._queried

    def spied(self: FastRead, query: bytes) -> dict[str, Any] | None:
        validated.append(query)
        return original(self, query)

    monkeypatch.setattr(FastRead, "_queried", spied)
    monkeypatch.setattr(fast_reads, "KEPT_QUERIES", 2)
    long = "/api/v1/datastores?q=" + "c" * fast_reads.KEPT_QUERY_BYTES  # past the kept length
    asked = [
        "/api/v1/datastores?limit=2",
        "/api/v1/datastores?limit=2",  # kept: not validated again
        "/api/v1/datastores?limit=0",
        "/api/v1/datastores?limit=0",  # kept as not valid: FastAPI says why again
        "/api/v1/datastores?limit=3",  # a third: the oldest (limit=2) goes
        "/api/v1/datastores?limit=2",
        long,
        long,
    ]
    for path in asked:
        assert _seen(await fast.get(path)) == _seen(await routed.get(path)), path
    assert (await fast.get("/api/v1/datastores?limit=0")).status_code == 422
    assert validated == [
        b"limit=2", b"limit=0", b"limit=3", b"limit=2", long.encode()[19:], long.encode()[19:],
        b"limit=0",  # limit=3 and limit=2 were kept since
    ]  # fmt: skip
