"""The model's reads (and /healthz) answered before FastAPI's routing and dependency solving.

A cold read (an answer not kept in memory) spent about a third of its CPU in FastAPI matching
the route and solving its dependencies. This layer answers the GETs of the routes in
`FAST_READS` itself, with the routes' own definitions: the route's compiled path pattern and
declared parameters (validated by FastAPI's own `request_params_to_args`, once per query string:
the last few hundred short ones are kept with what they validate to), the same guard and
version (`deps.reading`: the caller's `read` scope, `?version=`, the cursor's version, the
active version the request already read), the route's own endpoint function, and its answer
rendered as FastAPI renders it. Refusals are the same problems (`problems.app_error_response`).

It sits inside Observe (request id, access log, metrics: it names the route as FastAPI would),
VersionAnswers (kept answers, `ETag`, `Ecoplane-Model-Version`) and DatabaseOutages (the
retry and the 503), so all of those stay as they are. Anything it does not handle goes on to
FastAPI unchanged: another method or path (HEAD, a trailing slash), a parameter FastAPI would
refuse (FastAPI then says what is wrong), a NUL in the request. tests/api/test_fast_reads.py
asks every route both ways and compares status, headers and body.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import Enum
from typing import Any

import annotated_types
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import _get_param_model, request_params_to_args
from fastapi.routing import APIRoute, _IncludedRouter
from starlette._utils import get_route_path
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.deps import may_hold_nul, reading
from app.api.problems import app_error_response
from app.errors import AppError

API = "/api/v1/"
OPERATIONS = frozenset({"/healthz"})  # fast reads outside the API
# the routes answered here, by name (operationId); each returns a Response or its model's data
FAST_READS = (
    "healthz",  # the liveness probe: asked every few seconds, the cheapest request there is
    "workspace",
    "transformer",
    "datastore",
    "dataset",
    "datastores",
    "datastore_consumers",
    "lineage_graph",
)
READ = "read"  # the endpoints' parameter that takes the `deps.reading` dependency
# the validated query strings each route keeps: bounded in number and length (a hostile client
# sending long unique queries costs at most KEPT_QUERIES * KEPT_QUERY_BYTES per route)
KEPT_QUERIES, KEPT_QUERY_BYTES = 512, 256
NOT_SEEN: Any = object()
IMMUTABLE = (str, int, float, bool, bytes, Enum, type(None))


class FastRead:
    """One route as this layer answers it: its pattern, its parameters, its endpoint.

    Made of FastAPI's own effective route (the route as included: its prefixed pattern, the
    app's and the router's dependencies and its response model)."""

    def __init__(self, effective: Any) -> None:
        self.route: APIRoute = effective.original_route  # what FastAPI puts in scope["route"]
        self.name: str = effective.name
        self.path_params = effective.dependant.path_params
        self.text_bounds = _text_bounds(self.path_params)
        self.query_params = _query_params(effective.dependant)  # the route's and `reading`'s
        self.endpoint = effective.dependant.call
        self.response_field = effective.response_field
        self.dump_json = self.response_field is not None and isinstance(
            effective.response_class, DefaultPlaceholder
        )
        self.reads_model = "ref" in {q.name for q in self.query_params}  # `deps.reading`'s
        assert effective.status_code is None
        defaults, errors = request_params_to_args(self.query_params, QueryParams(""))
        self.defaults = None if errors else defaults  # None: a parameter is required
        # a parameter that takes one key of the query, by its alias: when that key is not in
        # the query, its value is its default (worked out once); None: always validated
        self.keys = [_plain_key(q) for q in self.query_params]
        # the short query strings seen last and what they validate to (None: not valid): a
        # query's parameters are a pure function of its text, and a dashboard or a script sends
        # the same few filters again and again with other names in the path
        self.queries: dict[bytes, dict[str, Any] | None] = {}

    def arguments(self, scope: Scope, path: dict[str, Any]) -> dict[str, Any] | None:
        """The endpoint's arguments as FastAPI would pass them; None if one is not valid."""
        given = self._path_arguments(path)
        query: bytes = scope["query_string"]
        queried = self.queries.get(query, NOT_SEEN)
        if queried is NOT_SEEN:
            queried = self._queried(query)
            if len(query) <= KEPT_QUERY_BYTES and _immutable(queried):
                if len(self.queries) >= KEPT_QUERIES:
                    del self.queries[next(iter(self.queries))]  # the oldest
                self.queries[query] = queried
        if given is None or queried is None:
            return None  # FastAPI says what is wrong
        return {**given, **queried}

    def _path_arguments(self, path: dict[str, Any]) -> dict[str, Any] | None:
        """The path parameters as FastAPI would pass them; None if one is not valid."""
        bounds = self.text_bounds
        if bounds is not None and all(len(path[key]) <= most for key, most in bounds):
            return {key: path[key] for key, _ in bounds}  # what pydantic makes of them
        given, errors = request_params_to_args(self.path_params, path)
        return None if errors else given

    def _queried(self, query: bytes) -> dict[str, Any] | None:
        """The query's parameters as FastAPI would pass them; None if one is not valid."""
        if not query:  # what FastAPI makes of no query, worked out once
            return None if self.defaults is None else dict(self.defaults)
        params = QueryParams(query)
        asked = self.query_params
        if self.defaults is not None:  # only the parameters given: the others' defaults
            asked = [
                q for q, key in zip(asked, self.keys, strict=True) if key is None or key in params
            ]
        queried, errors = request_params_to_args(asked, params)
        if errors:
            return None
        return queried if self.defaults is None else {**self.defaults, **queried}

    def rendered(self, answer: Any) -> Response:
        """The answer as FastAPI renders the route's return value."""
        if isinstance(answer, Response):
            return answer
        field = self.response_field
        assert field is not None and self.dump_json  # every fast read declares its model
        value, errors = field.validate(answer, {}, loc=("response",))
        if errors:
            raise ValueError(f"{self.name}: the answer does not fit its model: {errors}")
        body = field.serialize_json(value, by_alias=True)
        return Response(content=body, media_type="application/json")


# a route, the pattern its path must match (None: any path), its fast read, and whether the
# route itself must then say if it matches (a mount, a plain route: the pattern only screens)
Entry = tuple[Any, re.Pattern[str] | None, FastRead | None, bool]


class FastReads:
    """The middleware: the model's reads by their routes' own definitions, before FastAPI."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.table: list[Entry] | None = None  # built when first asked

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self._match(scope)
        if found is None:
            await self.app(scope, receive, send)
            return
        read, child = found
        arguments = read.arguments(scope, child["path_params"])
        if arguments is None:
            await self.app(scope, receive, send)
            return
        scope.update(child)  # as FastAPI's router: the route, its endpoint and path parameters
        scope["route"] = read.route
        request = Request(scope, receive)
        try:
            if read.reads_model:
                arguments[READ] = await reading(request, None, arguments.pop("ref"))
            response = read.rendered(await read.endpoint(**arguments))
        except AppError as error:
            response = app_error_response(request, error)
        await response(scope, receive, send)

    def _match(self, scope: Scope) -> tuple[FastRead, dict[str, Any]] | None:
        """The fast read and path parameters of a GET of the API; None for anything else.

        The routes are matched as FastAPI's router matches them, in the app's order, up to the
        last fast read: a request that another route would answer goes on to FastAPI."""
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        path: str = scope["path"]
        if not (path.startswith(API) or path in OPERATIONS):
            return None
        if may_hold_nul(scope):  # FastAPI's storable_parameters says which parameter
            return None
        if self.table is None:
            self.table = _routing_table(scope["app"].router.routes)
        route_path = get_route_path(scope)
        for route, pattern, read, itself in self.table:
            matched = None
            if pattern is not None:
                matched = pattern.match(route_path)
                if matched is None:
                    continue
            if itself:  # a mount, a plain route: matched as FastAPI matches it
                if route.matches(scope)[0] is Match.FULL:
                    return None
                continue
            if read is None:
                return None
            assert matched is not None
            convertors = route.param_convertors
            params = {k: convertors[k].convert(v) for k, v in matched.groupdict().items()}
            return read, {"endpoint": read.endpoint, "path_params": params}
        return None


def _plain_key(field: Any) -> str | None:
    """The one query key a parameter reads (its alias); None when it may read another (a
    parameter model, alias choices): such a parameter is validated on every request."""
    if _get_param_model(field) is not None or field.field_info.validation_alias is not None:
        return None
    alias: str = field.alias
    return alias


def _is_api_route(route: Any) -> bool:
    """Whether FastAPI matches this route by its path pattern and methods alone."""
    return isinstance(getattr(route, "original_route", route), APIRoute)


def _query_params(dependant: Dependant) -> list[Any]:
    """The query parameters of a route and its dependencies (which read no header or cookie)."""
    assert not dependant.header_params and not dependant.cookie_params, dependant.call
    found = list(dependant.query_params)
    for sub in dependant.dependencies:
        found += [q for q in _query_params(sub) if q not in found]
    return found


def _effective(routes: list[Any]) -> Iterator[Any]:
    """The app's routes as FastAPI matches them, in its order: included routers' routes with
    their prefix and dependencies (FastAPI's effective route contexts)."""
    for route in routes:
        if isinstance(route, _IncludedRouter):
            yield from route.effective_route_contexts()
        else:
            yield route


def _routing_table(routes: list[Any]) -> list[Entry]:
    """The app's routes up to the last fast read, in the app's order: each with the pattern of
    its GETs (None: matched by the route itself) and its fast read."""
    table: list[Entry] = []
    left = set(FAST_READS)
    for route in _effective(routes):
        if not left:
            break
        if not _is_api_route(route):
            # Starlette's routes and mounts match nothing their path pattern does not
            screen = route.path_regex if isinstance(route, Route | Mount) else None
            table.append((route, screen, None, True))
        elif "GET" in route.methods:  # other methods' routes do not answer a GET
            fast = route.name in left
            table.append((route, route.path_regex, FastRead(route) if fast else None, False))
            left.discard(route.name if fast else "")
    assert not left, f"fast reads without a route: {left}"
    return table


def _immutable(queried: dict[str, Any] | None) -> bool:
    """Whether arguments may be kept and passed again: no value an endpoint could change."""
    return queried is None or all(isinstance(v, IMMUTABLE) for v in queried.values())


def _text_bounds(fields: list[Any]) -> list[tuple[str, int]] | None:
    """Each path parameter's name and longest length, when every one is a plain `str` bounded
    only in length (pydantic then passes a short enough text as it is); else None."""
    bounds = []
    for field in fields:
        info = field.field_info
        [*rules] = info.metadata
        if info.annotation is not str or field.alias != field.name or len(rules) != 1:
            return None
        if not isinstance(rules[0], annotated_types.MaxLen):
            return None
        bounds.append((field.name, rules[0].max_length))
    return bounds
