"""Answers that depend only on a model version: kept in memory, tagged for revalidation.

A stored model version never changes, so a read of it (a workspace, a datastore's consumers, a
lineage walk, a page of datastores) gives the same answer every time it is asked. A route
marked `@version_answer` is answered once and then from memory, before routing, dependencies
and the database: the answer is keyed by the path and query and by the active version the
process reads from, so an activation (which changes that version, and clears the memory) is
never answered from an older one. Every such answer carries an `ETag`; a caller sending it back
in `If-None-Match` gets `304 Not Modified` and no body. A page of a walk started on an older
version is keyed by its cursor, which holds that version (app/api/paging.py).

Every answer of a model read, kept or made, 200 or 304, names the version it was read from in
`Ecoplane-Model-Version` (the kept answer remembers it).

Memory is bounded (`ECOPLANE_ANSWER_CACHE_MB`, least recently used first out; 0 turns it off);
an answer larger than a sixteenth of it is never kept. Only 200 answers are kept, and only for
callers who may read: the auth check runs on every request, kept answer or not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.answer_cache import Answer, AnswerCache, Key, tag
from app.api.auth import may_read
from app.api.observability import Metrics
from app.catalog.versions import VersionRef
from app.db.outage import connection_lost, describe
from app.resources import Resources

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
ACTIVE = "active_version"  # request state: the active version, read once for the request
ANSWERED = "model_version"  # request state: the id of the version the answer was read from
MODEL_VERSION_HEADER = "Ecoplane-Model-Version"  # the header that names it
API = "/api/v1/"
VERSION_NAME = MODEL_VERSION_HEADER.lower().encode()
CACHE_CONTROL = (b"cache-control", b"no-cache")  # keep it, but ask again: versions get activated
VERSION_ANSWERS: set[Callable[..., Any]] = set()  # the marked routes' endpoints
log = logging.getLogger("ecoplane.database")


def version_answer(endpoint: Endpoint) -> Endpoint:
    """Mark a route whose 200 answer depends only on the model version read and the request URL."""
    VERSION_ANSWERS.add(endpoint)
    return endpoint


def version_answer_names() -> set[str]:
    """The marked routes' names (their operationIds)."""
    return {endpoint.__name__ for endpoint in VERSION_ANSWERS}


def matches(scope: Scope, etag: bytes) -> bool:
    """Whether the request's If-None-Match names this tag (or `*`)."""
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            given = {v.strip().removeprefix(b"W/") for v in value.split(b",")}
            return etag in given or b"*" in given
    return False


async def send_answer(scope: Scope, send: Send, answer: Answer) -> None:
    """Send a kept answer: 304 when the caller holds it already, else the body."""
    headers = [(b"etag", answer.etag), CACHE_CONTROL]
    if matches(scope, answer.etag):
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    headers += [
        (b"content-type", answer.media_type),
        (b"content-length", str(len(answer.body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})


def stamped(scope: Scope, send: Send) -> Send:
    """A send whose answer names the model version it was read from, once one was."""

    async def send_stamped(message: Message) -> None:
        version = scope.get("state", {}).get(ANSWERED)
        if message["type"] == "http.response.start" and version is not None:
            headers = [*message.get("headers", []), (VERSION_NAME, str(version).encode())]
            message = {**message, "headers": headers}
        await send(message)

    return send_stamped


class VersionAnswers:
    """The middleware: kept answers before routing; marked routes' answers tagged and kept after;
    every read's answer names its version (Ecoplane-Model-Version)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, answers: AnswerCache) -> None:
        self.app, self.metrics, self.answers = app, metrics, answers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        res = await _reader_resources(scope)
        if res is None:
            await self.app(scope, receive, send)
            return
        send = stamped(scope, send)
        state = scope.setdefault("state", {})
        active = await _active(res)
        if active is None:  # the route answers, and says what is wrong if anything is
            await self.app(scope, receive, send)
            return
        state[ACTIVE] = active  # the route reads the same version
        key = (active.id, scope["path"], scope["query_string"])
        found = self.answers.get(key)
        if found is not None:
            self.metrics.answers.labels("hit").inc()
            scope["route"] = found.route  # the access log and metrics name the route
            state[ANSWERED] = found.version
            await send_answer(scope, send, found)
            return
        filling = Filling(scope, send, key, self.answers, self.metrics)
        await self.app(scope, receive, filling.send)


async def _reader_resources(scope: Scope) -> Resources | None:
    """The app's resources for a GET of the API by a caller who may read; None otherwise."""
    if scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].startswith(API):
        return None
    res: Resources | None = getattr(scope["app"].state, "resources", None)
    if res is None or not await may_read(Request(scope)):
        return None
    return res


async def _active(res: Resources) -> VersionRef | None:
    """The active version (one read shared by every request meanwhile); None if it cannot be read."""
    try:
        return await res.active_version()
    except Exception as error:  # none active, or no database: the route says so, in its own words
        if connection_lost(error):
            log.warning("the active model version was not read (%s): the route reads it again",
                        describe(error))  # fmt: skip
        return None


class Filling:
    """Sends a route's response; a marked route's 200 is held whole, tagged, kept and sent."""

    def __init__(
        self, scope: Scope, send: Send, key: Key, cache: AnswerCache, metrics: Metrics
    ) -> None:
        self.scope, self.downstream, self.key, self.cache = scope, send, key, cache
        self.metrics = metrics
        self.start: Message | None = None
        self.parts: list[bytes] = []

    async def send(self, message: Message) -> None:
        """Pass the message on, or hold it while a marked route's answer is being sent."""
        if message["type"] == "http.response.start":
            if message["status"] == 200 and self._marked():
                self.start = message
                return
        elif self.start is not None:
            self.parts.append(message.get("body", b""))
            if not message.get("more_body", False):
                await self._answer()
            return
        await self.downstream(message)

    def _marked(self) -> bool:
        return getattr(self.scope.get("route"), "endpoint", None) in VERSION_ANSWERS

    async def _answer(self) -> None:
        assert self.start is not None
        body = b"".join(self.parts)
        headers = dict(self.start.get("headers", []))
        answer = Answer(
            body, headers.get(b"content-type", b""), tag(body), self.scope["route"],
            self.scope["state"].get(ANSWERED),
        )  # fmt: skip
        self.metrics.answers.labels("miss").inc()
        self.cache.put(self.key, answer)
        await send_answer(self.scope, self.downstream, answer)
