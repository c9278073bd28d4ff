"""Dependencies of the routes: the resources built in the lifespan, the read pool, the body
read after the auth check, and the version a read is answered from."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import asyncpg
from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from app.api.auth import DECLARED, Caller, allow, caller, require
from app.api.paging import CursorExpiredError, cursor_version
from app.api.version_answers import ACTIVE, ANSWERED
from app.catalog.version_graph import GraphCache
from app.catalog.versions import VersionRef, resolve_version
from app.errors import InvalidParameterError, NotFoundError
from app.resources import Resources
from app.settings import Scope

BodyModel = TypeVar("BodyModel", bound=BaseModel)
_NUL = re.compile(rb"%00|\x00")


async def resources(request: Request) -> Resources:
    """The app's resources."""
    found: Resources = request.app.state.resources
    return found


Res = Annotated[Resources, Depends(resources)]


def pooled(res: Resources) -> AbstractAsyncContextManager[asyncpg.Connection]:
    """A read connection, taken in turn (app/db/lender.py)."""
    return res.reads.lend()


async def connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection for one request."""
    async with pooled(request.app.state.resources) as acquired:  # not a dependency: each costs
        yield acquired


Connection = Annotated[asyncpg.Connection, Depends(connection)]


def body_after(scope: Scope, model: type[BodyModel]) -> Any:
    """A dependency: the JSON body as `model`, read only once the caller has the scope.

    FastAPI reads a declared body before any dependency runs, so a caller without a token got
    told about its body (400/422) instead of 401; this one reads it after the check.
    """

    guard = require(scope)

    async def parse(request: Request, _who: Caller = guard) -> BodyModel:
        try:
            return model.model_validate_json(await request.body())
        except ValidationError as error:
            errors = error.errors(include_url=False, include_context=False)
            located = [{**e, "loc": ("body", *e["loc"])} for e in errors]
            raise RequestValidationError(located) from error

    return Depends(parse)


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI requestBody of a route whose JSON body `body_after` reads."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def may_hold_nul(scope: Mapping[str, Any]) -> bool:
    """Whether a request's path or query (its ASGI scope) may hold a NUL: its parameters then
    need a look."""
    return "\x00" in scope["path"] or _NUL.search(scope["query_string"]) is not None


async def storable_parameters(request: Request) -> None:
    """Refuse path and query parameters holding NUL, which no Postgres text (no name) can hold.

    Async though it awaits nothing: FastAPI runs a plain function in a worker thread, a hand-off
    that cost every request of the service more than the rest of its dependencies together.
    A NUL reaches a path parameter only through the (decoded) path and a query parameter only as
    `%00` (or a raw NUL): without either, nothing is parsed."""
    if not may_hold_nul(request.scope):
        return
    given = [("path", request.path_params.items()), ("query", request.query_params.multi_items())]
    for where, parameters in given:
        for name, value in parameters:
            if "\x00" in name or "\x00" in str(value):
                shown = name.replace("\x00", "\\x00")
                raise InvalidParameterError(
                    shown, f"the {where} parameter {shown!r} holds a NUL character (\\x00)"
                )


VersionQuery = Annotated[
    str | None,
    Query(
        alias="version", description="a model version id or commit sha; default: the active version"
    ),
]


async def _version(res: Resources, ref: str | None) -> VersionRef:
    """The version a read is answered from: the active one is remembered for a moment."""
    if ref is None:
        return await res.active_version()
    async with pooled(res) as db:
        return await resolve_version(db, ref)


@dataclass(frozen=True, slots=True)
class Reading:
    """One read: the version it is answered from and what answers it (no connection held)."""

    version: VersionRef
    res: Resources

    @property
    def pool(self) -> asyncpg.Pool:
        """The service's own pool, for what an answer needs only now and then (a version's
        lineage graph, built once)."""
        return self.res.pool

    def connection(self) -> AbstractAsyncContextManager[asyncpg.Connection]:
        """A pooled connection, for as long as the answer needs it."""
        return pooled(self.res)

    @property
    def graphs(self) -> GraphCache:
        """The versions' lineage graphs."""
        return self.res.graphs


async def reading(
    request: Request, _bearer: Any = DECLARED["read"], ref: VersionQuery = None
) -> Reading:
    """A read by a caller with the `read` scope, of the active version, `?version=`, or the
    version the `cursor` was made from; the answer names it (`Ecoplane-Model-Version`).

    The scope is checked here rather than by a `require("read")` below it: one dependency
    fewer for FastAPI to solve on every read."""
    allow(await caller(request), "read")
    res: Resources = request.app.state.resources
    query: bytes = request.scope["query_string"]  # a key spelled with escapes has a "%"
    asked = b"cursor" in query or b"%" in query
    pinned = cursor_version(request.query_params.get("cursor")) if asked else None
    if pinned is not None:
        version = await _pinned(res, pinned, ref)
    else:
        known = getattr(request.state, ACTIVE, None) if ref is None else None
        version = known or await _version(res, ref)
    setattr(request.state, ANSWERED, version.id)
    return Reading(version, res)


async def _pinned(res: Resources, pinned: int, ref: str | None) -> VersionRef:
    """The version a cursor was made from: 410 once it is gone, 422 if `?version=` is another."""
    try:
        version = await _version(res, str(pinned))
    except NotFoundError as error:
        raise CursorExpiredError(
            f"the cursor was made from model version {pinned}, which is no longer stored;"
            " start the walk again without a cursor"
        ) from error
    if ref is not None and (await _version(res, ref)).id != pinned:
        raise InvalidParameterError(
            "cursor", f"the cursor was made from model version {pinned}, not from {ref[:80]!r}"
        )
    return version


Read = Annotated[Reading, Depends(reading)]
