"""What the OpenAPI document says beyond the routes: problem responses and real examples.

Every operation gets an example answer recorded from `examples/acme` (app/api/examples.json,
kept in step with the service by tests/api/test_examples.py) and the problem+json answers it
can give, each with an example. The document is built once, on first request.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

from app.api.openapi_security import secure
from app.api.problems import PROBLEM
from app.api.version_answers import MODEL_VERSION_HEADER, version_answer_names
from app.settings import Settings

EXAMPLES_FILE = Path(__file__).with_name("examples.json")


class ParameterProblem(BaseModel):
    """What is wrong with one parameter."""

    parameter: str = Field(examples=["limit"])
    in_: str | None = Field(default=None, alias="in", examples=["query"])
    message: str = Field(examples=["Input should be less than or equal to 500"])


class Problem(BaseModel):
    """An error (RFC 9457): a stable `type`, a title, the status and what went wrong."""

    type: str = Field(examples=["not-found"])
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["workspace 'Nope' does not exist in model version 1"])
    errors: list[ParameterProblem] | None = Field(
        default=None, description="for invalid-parameter: each parameter and what is wrong"
    )


def _problem(status: int, type_: str, detail: str, **extra: Any) -> dict[str, Any]:
    title = type_.replace("-", " ").capitalize()
    return {"type": type_, "title": title, "status": status, "detail": detail, **extra}


PROBLEMS: dict[int, tuple[str, dict[str, Any]]] = {
    401: (
        "No token, or not a valid one",
        _problem(401, "unauthorized", "this needs a token with the 'read' scope"),
    ),
    403: (
        "The token lacks the scope",
        _problem(403, "forbidden", "token 'ci' lacks the 'operate' scope"),
    ),
    404: (
        "A name or version that does not exist",
        _problem(404, "not-found", "workspace 'Nope' does not exist in model version 1"),
    ),
    409: (
        "A conflict with what exists: e.g. a run of the transformer is active already",
        _problem(409, "conflict", "transformer 'segment_customers' has an active run: 42"),
    ),
    413: (
        "The body is over the size limit",
        _problem(413, "payload-too-large", "the body is over the limit of 67108864 bytes"),
    ),
    415: (
        "A body that is neither JSON nor a multipart upload",
        _problem(415, "unsupported-media-type", "send application/json or multipart/form-data"),
    ),
    422: (
        "A parameter is invalid (each is named)",
        _problem(
            422,
            "invalid-parameter",
            "invalid parameter: limit",
            errors=[{"parameter": "limit", "in": "query", "message": "Input should be ≤ 500"}],
        ),
    ),
    502: (
        "The runner (Kubernetes) did not answer as it should",
        _problem(502, "runner-unavailable", "the Kubernetes API answered 500 three times"),
    ),
    503: (
        "No model version is active yet, or the database cannot be reached"
        " (`database-unavailable`, with Retry-After)",
        _problem(503, "no-active-model", "no model version is active yet; load one"),
    ),
}
READ_PROBLEMS = (401, 403, 404, 422, 503)
UPLOAD_PROBLEMS = (*READ_PROBLEMS, 413, 415)


ETAG = {"description": "the answer's tag, for If-None-Match", "schema": {"type": "string"}}
VERSION = {
    "description": "the id of the model version the answer was read from: the active one,"
    " `?version=`, or the one the `cursor` was made from",
    "schema": {"type": "integer"},
}
RETRY_AFTER = {
    "description": "seconds to wait before asking again (when the database cannot be reached)",
    "schema": {"type": "integer"},
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "tags of answers the caller holds: 304 without a body when one still holds",
    "schema": {"type": "string"},
}


def install(app: FastAPI, settings: Settings) -> None:
    """Make app.openapi() add the examples, problem responses and security to what FastAPI
    generates."""
    generate = app.openapi
    examples: dict[str, Any] = json.loads(EXAMPLES_FILE.read_text())

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            _annotate(schema, examples, version_answer_names())
            secure(schema, settings)
        return app.openapi_schema  # type: ignore[return-value]  # set by generate()

    app.openapi = openapi  # type: ignore[method-assign]


def _annotate(schema: dict[str, Any], examples: dict[str, Any], tagged: set[str]) -> None:
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            _document(path, operation, examples.get(operation["operationId"]))
            if operation["operationId"] in tagged:  # operationId: the route's name
                _tagged(operation)
            if any(p["name"] == "version" for p in operation.get("parameters", [])):
                _versioned(operation)


def _versioned(operation: dict[str, Any]) -> None:
    """A read of a model version (it takes `?version=`): its answers name the version."""
    for status in ("200", "304"):
        if status in operation["responses"]:
            operation["responses"][status].setdefault("headers", {})[MODEL_VERSION_HEADER] = VERSION


def _tagged(operation: dict[str, Any]) -> None:
    """An answer of the version: its ETag, If-None-Match, and 304 Not Modified."""
    operation.setdefault("parameters", []).append(IF_NONE_MATCH)
    operation["responses"]["200"]["headers"] = {"ETag": ETAG}
    operation["responses"]["304"] = {
        "description": "Not Modified: the answer still has the tag given in If-None-Match",
        "headers": {"ETag": ETAG},
    }


def _document(path: str, operation: dict[str, Any], example: Any) -> None:
    responses = operation["responses"]
    success = next(code for code in responses if code.startswith("2"))
    content = responses[success].setdefault("content", {})
    if example is not None:
        for media in content.values():
            media["example"] = example
    if not path.startswith("/api/"):
        return
    declared = {int(code) for code in responses if code[0] in "45"}
    statuses = UPLOAD_PROBLEMS if operation.get("requestBody") else READ_PROBLEMS
    for status in sorted(declared | set(statuses)):
        description, body = PROBLEMS[status]
        given = responses.get(str(status), {}).get("description")
        responses[str(status)] = {
            "description": given if given and status in declared else description,
            "content": {
                PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}, "example": body}
            },
        }
        if status == 503:
            responses["503"]["headers"] = {"Retry-After": RETRY_AFTER}
