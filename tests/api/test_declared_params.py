"""FastAPI's facts about declared parameters are worked out once per declaration, and the
answers (values, defaults, sequences, aliases, 422s) stay FastAPI's own."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
from fastapi import FastAPI, Query

from app.api import declared_params


def test_a_field_is_asked_about_once_and_each_field_gets_its_own_answer() -> None:
    asked: list[object] = []

    def model_of(field: object, **options: Any) -> str:
        asked.append(field)
        return f"answer of {field} {options}"

    remembered = declared_params.by_field(model_of)
    first, second = object(), object()
    answers = [remembered(first), remembered(first), remembered(second, convert_underscores=True)]
    assert answers == [
        f"answer of {first} {{}}",
        f"answer of {first} {{}}",
        f"answer of {second} {{'convert_underscores': True}}",
    ]
    assert asked == [first, second]


def test_an_unhashable_annotation_is_asked_each_time() -> None:
    asked: list[object] = []

    def is_sequence(annotation: object) -> bool:
        asked.append(annotation)
        return isinstance(annotation, list)

    remembered = declared_params.by_annotation(is_sequence)
    assert remembered(list[str]) is False and remembered(list[str]) is False
    assert remembered([1]) is True and remembered([1]) is True
    assert asked == [list[str], [1], [1]]


async def test_routes_read_parameters_as_fastapi_does() -> None:
    declared_params.remember()
    declared_params.remember()  # once per process, however often asked
    app = FastAPI()

    @app.get("/items")
    async def items(
        tag: Annotated[list[str], Query()],
        status: Annotated[str | None, Query(alias="productionStatus")] = None,
        limit: Annotated[int, Query(ge=1)] = 50,
    ) -> dict[str, Any]:
        return {"tag": tag, "status": status, "limit": limit}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        ok = await client.get("/items?tag=a&tag=b&productionStatus=production")
        bad = await client.get("/items?tag=a&limit=0")
        missing = await client.get("/items")
    assert ok.json() == {"tag": ["a", "b"], "status": "production", "limit": 50}
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "limit"]
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["query", "tag"]
