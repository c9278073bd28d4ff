"""Dependencies of the routes: the resources built in the lifespan, auth, the version read."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, cast

import asyncpg
from fastapi import Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.version_answers import ACTIVE, AnswerCache
from app.catalog.activation import ActivationListener
from app.catalog.version_graph import GraphCache
from app.catalog.versions import ActiveVersion, VersionRef, resolve_version
from app.db.engine import POOL_SIZE
from app.errors import ForbiddenError, UnauthorizedError
from app.gitsource.service import Ingestion
from app.jobs.leader import LeaderElection
from app.jobs.scheduler import Scheduler
from app.jobs.service import JobService
from app.settings import Scope, Settings, token_digest


@dataclass(slots=True)
class Resources:
    """What the lifespan built: settings, engine (writes), pool (reads), activation hook, jobs,
    graphs, and the ingestion that follows the model repository."""

    settings: Settings
    engine: AsyncEngine
    pool: asyncpg.Pool
    activation: ActivationListener
    jobs: JobService
    scheduler: Scheduler
    election: LeaderElection
    graphs: GraphCache = field(default_factory=GraphCache)
    active: ActiveVersion = field(default_factory=ActiveVersion)
    # requests wait for a pooled connection in arrival order: the pool's own queue lets a
    # newcomer overtake a woken waiter, and under load a few requests then wait for seconds
    turns: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(POOL_SIZE))
    ingestion: Ingestion | None = None
    answers: AnswerCache = field(default_factory=lambda: AnswerCache(0))

    def may_read(self, authorization: str | None) -> bool:
        """Whether the caller this Authorization header names may read."""
        try:
            return "read" in caller_of(authorization, self.settings).scopes
        except UnauthorizedError:
            return False


async def resources(request: Request) -> Resources:
    """The app's resources."""
    found: Resources = request.app.state.resources
    return found


Res = Annotated[Resources, Depends(resources)]


@asynccontextmanager
async def pooled(res: Resources) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the read pool, taken in turn."""
    async with res.turns, res.pool.acquire() as acquired:
        yield cast(asyncpg.Connection, acquired)  # the pool's proxy forwards every method


async def connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection for one request."""
    async with pooled(request.app.state.resources) as acquired:  # not a dependency: each costs
        yield acquired


Connection = Annotated[asyncpg.Connection, Depends(connection)]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: a token's name (or anonymous) and its scopes."""

    name: str
    scopes: frozenset[str]


def caller(request: Request) -> Caller:
    """The caller named by the bearer token; anonymous without one."""
    res: Resources = request.app.state.resources
    return caller_of(request.headers.get("authorization"), res.settings)


def caller_of(header: str | None, settings: Settings) -> Caller:
    """The caller an Authorization header names (None: anonymous)."""
    if header is None:
        return Caller("anonymous", frozenset({"read"}) if settings.reads_open else frozenset())
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("use 'Authorization: Bearer <token>'")
    digest = token_digest(token)
    match = None
    for entry in settings.tokens:  # every entry compared, in constant time
        if hmac.compare_digest(digest, entry.sha256):
            match = entry
    if match is None:
        raise UnauthorizedError("the token is not valid")
    scopes = set(match.scopes)
    if "admin" in scopes:
        scopes |= {"operate", "read"}
    if "operate" in scopes:
        scopes.add("read")
    return Caller(match.name, frozenset(scopes))


def require(scope: Scope) -> Any:
    """A dependency that lets only callers with this scope through."""

    async def check(request: Request) -> Caller:
        return _allow(caller(request), scope)

    return Depends(check)


def _allow(who: Caller, scope: Scope) -> Caller:
    """The caller, if it has the scope: 401 for anonymous callers, 403 for tokens."""
    if scope not in who.scopes:
        if who.name == "anonymous":
            raise UnauthorizedError(f"this needs a token with the {scope!r} scope")
        raise ForbiddenError(f"token {who.name!r} lacks the {scope!r} scope")
    return who


VersionQuery = Annotated[
    str | None,
    Query(
        alias="version", description="a model version id or commit sha; default: the active version"
    ),
]


async def _version(res: Resources, ref: str | None) -> VersionRef:
    """The version a read is answered from: the active one is remembered for a moment."""
    if ref is None:
        return await res.active.get(res.pool, res.settings.active_version_seconds)
    async with res.turns, res.pool.acquire() as db:
        return await resolve_version(cast(asyncpg.Connection, db), ref)


@dataclass(frozen=True, slots=True)
class Reading:
    """One read: the version it is answered from and what answers it (no connection held)."""

    version: VersionRef
    res: Resources

    @property
    def pool(self) -> asyncpg.Pool:
        """The read pool, for answers that need the database only now and then."""
        return self.res.pool

    def connection(self) -> AbstractAsyncContextManager[asyncpg.Connection]:
        """A pooled connection, for as long as the answer needs it."""
        return pooled(self.res)

    @property
    def graphs(self) -> GraphCache:
        """The versions' lineage graphs."""
        return self.res.graphs


async def reading(request: Request, ref: VersionQuery = None) -> Reading:
    """A read by a caller with the `read` scope, of the active version or `?version=`."""
    _allow(caller(request), "read")
    res: Resources = request.app.state.resources
    known = getattr(request.state, ACTIVE, None) if ref is None else None
    return Reading(known or await _version(res, ref), res)


Read = Annotated[Reading, Depends(reading)]
