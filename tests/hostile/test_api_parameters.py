"""Every route of the committed OpenAPI document, with hostile values in each path and query
parameter: never a server error, and every refusal is a problem+json answer."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import StoredVersion
from tests.api.conftest import TOKENS, api_settings, client_for, store_acme

DOCUMENT = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
RAW = object()  # a value sent as it is written: percent escapes the caller made
HOSTILE: list[tuple[str, object | None]] = [
    ("\x00", None), ("a\x00b", None), ("%00", None), ("³", None), ("١٢", None), ("", None),
    (" ", None), ("x" * 5000, None), ("9" * 5000, None), ("-1", None), ("0", None),
    ("99999999999999999999999", None), ("1e400", None), ("../", None), ("../../etc/passwd", None),
    ("ü🙂\u202e", None), ("'; DROP TABLE x; --", None), ("\r\nX: y", None),
    ("%00", RAW), ("%FF", RAW), ("%C0%80", RAW), ("..%2F..%2F", RAW), ("%", RAW),
]  # fmt: skip
STRAY = {"name": "\x00", "in": "query"}
ADMIN = {"Authorization": f"Bearer {TOKENS['admin']}"}


def _ordinary(parameter: dict[str, Any]) -> str:
    """A plain value of the parameter's type, for the parameters not being tried."""
    schema = parameter["schema"]
    options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    first = options[0] if options else {}
    if "enum" in first:
        return str(first["enum"][0])
    if first.get("type") == "integer":
        return "1"
    return {"node": "datastore:Positions", "old": "1", "new": "1"}.get(parameter["name"], "x")


def _encoded(value: str, raw: object | None) -> str:
    return value if raw is RAW else quote(value, safe="")


def _requests() -> Iterator[tuple[str, str, str, str, str]]:
    """(method, path template, url, parameter, value) for each hostile value of each parameter
    of each operation, and for one parameter no operation declares."""
    paths: dict[str, Any] = json.loads(DOCUMENT.read_text())["paths"]
    for template, operations in paths.items():
        for method, operation in operations.items():
            params = [p for p in operation.get("parameters", []) if p["in"] in ("path", "query")]
            required = {
                p["name"]: quote(_ordinary(p), safe="") for p in params if p.get("required")
            }
            # a parameter no route declares: refused before the route, which is not run then
            stray = {**required, "\x00": "1"}
            yield method.upper(), template, _url(template, [*params, STRAY], stray), "\x00", "1"
            for tried in params:
                for value, raw in HOSTILE:
                    # the optional ones are left out: only the tried one is wrong
                    given = {**required, tried["name"]: _encoded(value, raw)}
                    url = _url(template, params, given)
                    yield method.upper(), template, url, tried["name"], value


def _url(template: str, params: list[dict[str, Any]], given: dict[str, str]) -> str:
    path = template
    query = []
    for p in params:
        if p["in"] == "path":
            path = path.replace("{" + p["name"] + "}", given[p["name"]])
        elif p["name"] in given:
            query.append(f"{quote(p['name'], safe='')}={given[p['name']]}")
    return path + ("?" + "&".join(query) if query else "")


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The API tests' client, on a service with examples/acme active."""
    async for client in client_for(api_settings(database_url, tmp_path)):
        yield client


@pytest.fixture
async def acme(engine: AsyncEngine) -> StoredVersion:
    """examples/acme stored and active."""
    return await store_acme(engine)


async def test_every_route_refuses_hostile_parameters_as_problems(
    api: httpx.AsyncClient, acme: StoredVersion
) -> None:
    failures = []
    tried: set[tuple[str, str]] = set()
    for method, template, url, parameter, value in _requests():
        tried.add((method, template))
        try:
            answer = await api.request(method, url, headers=ADMIN)
        except Exception as error:  # the app raised: a server error
            failures.append(f"{method} {url[:120]} ({parameter}={value[:20]!r}): {error!r}")
            continue
        media = answer.headers.get("content-type", "")
        if (
            answer.status_code >= 500
            or (answer.status_code >= 400 and media != "application/problem+json")
            or (parameter == "\x00" and answer.status_code != 422)
        ):  # refused, the route not run
            failures.append(
                f"{method} {url[:120]} ({parameter}={value[:20]!r}): {answer.status_code} {answer.text[:160]}"
            )
    paths = json.loads(DOCUMENT.read_text())["paths"]
    assert tried == {(m.upper(), path) for path, ops in paths.items() for m in ops}
    assert not failures, "\n".join(failures)
