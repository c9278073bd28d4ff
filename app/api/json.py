"""JSON answers rendered once: by orjson, or by Postgres itself.

A route whose answer is built in the shape of its response model (camelCase keys) returns one
of these; FastAPI then sends it as it is instead of validating it against the model again and
encoding it (a third of a list route's cost). The response model still documents the route,
and the tests and the schema fuzzer hold the answer to it.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response


class Json(Response):
    """A JSON answer, encoded by orjson."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        """The body."""
        return orjson.dumps(content)


class PostgresJson(Response):
    """A JSON answer that Postgres rendered (json text from the query)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        """The body."""
        return content.encode() if isinstance(content, str) else bytes(content)
