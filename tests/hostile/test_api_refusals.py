"""Refusals of the API: version ids only in ASCII digits, NUL never reaching Postgres, 405 with
Allow, and auth checked before a body is read. Each is a problem naming what is wrong, logged
without a traceback."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import StoredVersion
from tests.api.conftest import TOKENS, api_settings, client_for, store_acme

PROBLEM = "application/problem+json"


@pytest.fixture
async def closed(database_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A client on a service whose reads need a token, with examples/acme active."""
    # no scheduler: acme's model-change transformer would otherwise start (and fail, without
    # credentials) whenever the leader reconciles, and its ERROR line is not these tests' own
    settings = api_settings(database_url, tmp_path).model_copy(
        update={"anonymous_read": False, "scheduler": False}
    )
    async for client in client_for(settings):
        yield client


@pytest.fixture
async def acme(engine: AsyncEngine) -> StoredVersion:
    """examples/acme stored and active."""
    return await store_acme(engine)


def _reader() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS['reader']}"}


def _refused(answer: httpx.Response, status: int, parameter: str) -> str:
    """The detail of a refusal, once it is the problem expected, naming the parameter."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert [e["parameter"] for e in answer.json().get("errors", [])] == [parameter]
    detail: str = answer.json()["detail"]
    return detail


def _no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@pytest.mark.parametrize("given", ["³", "\u0661", "1\u0661", "²⁰"])
async def test_a_version_int_would_take_but_that_is_no_ascii_number_is_refused(
    closed: httpx.AsyncClient, acme: StoredVersion, caplog: pytest.LogCaptureFixture, given: str
) -> None:
    assert acme.id == 1  # '\u0661' is an Arabic-Indic 1: int() read it as version 1 and answered
    caplog.set_level(logging.INFO)
    for url in (f"/api/v1/workspaces?version={given}", f"/api/v1/ecosystem?version={given}"):
        detail = _refused(await closed.get(url, headers=_reader()), 422, "version")
        assert "neither a version id nor a commit sha" in detail
    old = await closed.get(f"/api/v1/model-versions/{given}/diff/1", headers=_reader())
    _refused(old, 422, "old")
    _no_traceback(caplog)
    assert any(r.getMessage().startswith("refused GET") for r in caplog.records)


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/workspaces/a%00b", "name"),
        ("/api/v1/zones/EU/teams/%00", "team"),
        ("/api/v1/datastores/Customers/datasets/x%00", "dataset"),
        ("/api/v1/datastores?q=%00", "q"),
        ("/api/v1/runs?target=run%00", "target"),
        ("/api/v1/workspaces?unknown%00=1", "unknown\\x00"),
    ],
)
async def test_nul_in_a_path_or_query_parameter_is_refused_before_the_database(
    closed: httpx.AsyncClient,
    acme: StoredVersion,
    caplog: pytest.LogCaptureFixture,
    url: str,
    parameter: str,
) -> None:
    caplog.set_level(logging.INFO)
    detail = _refused(await closed.get(url, headers=_reader()), 422, parameter)
    assert "NUL character" in detail
    _no_traceback(caplog)
    assert any("NUL character" in r.getMessage() for r in caplog.records)  # logged, refused


async def test_a_nul_in_the_name_of_a_transformer_to_run_is_refused(
    closed: httpx.AsyncClient, acme: StoredVersion
) -> None:
    admin = {"Authorization": f"Bearer {TOKENS['admin']}"}
    answer = await closed.post("/api/v1/transformers/mask%00/runs", headers=admin)
    _refused(answer, 422, "name")
    runs = (await closed.get("/api/v1/runs?kind=transformer", headers=admin)).json()["items"]
    assert [run for run in runs if run["trigger"] == "manual"] == []  # nothing was started


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("DELETE", "/api/v1/model-versions", "GET, POST"),  # two routes share the path
        ("PUT", "/api/v1/model-versions", "GET, POST"),
        ("GET", "/api/v1/runs/1/cancel", "POST"),
        ("POST", "/api/v1/workspaces/CustomerSegmentation", "GET"),
        ("DELETE", "/healthz", "GET"),
        ("POST", "/static-offline-docs/swagger-ui.css", "GET, HEAD"),  # the docs' assets
    ],
)
async def test_405_says_which_methods_the_path_allows(
    closed: httpx.AsyncClient, method: str, url: str, allowed: str
) -> None:
    answer = await closed.request(method, url, headers=_reader())
    assert answer.status_code == 405 and answer.headers["content-type"] == PROBLEM
    assert answer.headers["allow"] == allowed


@pytest.mark.parametrize("body", [b"{nope", b"", b"[1]", b'{"ref": 5}', b'{"ref": "main"}'])
async def test_an_ingest_request_is_refused_on_its_token_before_its_body_is_read(
    closed: httpx.AsyncClient, body: bytes
) -> None:
    json_ = {"Content-Type": "application/json"}
    anonymous = await closed.post("/api/v1/model-versions", content=body, headers=json_)
    assert anonymous.status_code == 401 and anonymous.json()["type"] == "unauthorized"
    wrong = {**json_, "Authorization": "Bearer not-a-token"}
    assert (
        await closed.post("/api/v1/model-versions", content=body, headers=wrong)
    ).status_code == 401
    reader = {**json_, **_reader()}
    forbidden = await closed.post("/api/v1/model-versions", content=body, headers=reader)
    assert forbidden.status_code == 403 and forbidden.json()["type"] == "forbidden"
    anonymous_check = await closed.post("/api/v1/validate", content=body, headers=json_)
    assert anonymous_check.status_code == 401


async def test_an_operator_is_told_what_is_wrong_with_the_ingest_body(
    closed: httpx.AsyncClient,
) -> None:
    operator = {"Authorization": f"Bearer {TOKENS['operator']}", "Content-Type": "application/json"}
    broken = await closed.post("/api/v1/model-versions", content=b"{nope", headers=operator)
    assert broken.status_code == 422 and broken.headers["content-type"] == PROBLEM
    assert broken.json()["errors"][0]["in"] == "body"
    wrong = await closed.post("/api/v1/model-versions", json={"ref": 5}, headers=operator)
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["parameter"] == "ref"
    extra = await closed.post("/api/v1/model-versions", json={"ref": "m", "x": 1}, headers=operator)
    assert extra.status_code == 422 and extra.json()["errors"][0]["parameter"] == "x"
