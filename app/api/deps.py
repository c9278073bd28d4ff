"""Dependencies of the routes: the resources built in the lifespan, auth, the version read."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated, Any, cast

import asyncpg
from fastapi import Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.activation import ActivationListener
from app.catalog.version_graph import GraphCache
from app.catalog.versions import ActiveVersion, VersionRef, resolve_version
from app.errors import ForbiddenError, UnauthorizedError
from app.jobs.leader import LeaderElection
from app.jobs.scheduler import Scheduler
from app.jobs.service import JobService
from app.settings import Scope, Settings


@dataclass(slots=True)
class Resources:
    """What the lifespan built: settings, engine, pool, activation hook, jobs, graphs."""

    settings: Settings
    engine: AsyncEngine
    pool: asyncpg.Pool
    activation: ActivationListener
    jobs: JobService
    scheduler: Scheduler
    election: LeaderElection
    graphs: GraphCache = field(default_factory=GraphCache)
    active: ActiveVersion = field(default_factory=ActiveVersion)


async def resources(request: Request) -> Resources:
    """The app's resources."""
    found: Resources = request.app.state.resources
    return found


Res = Annotated[Resources, Depends(resources)]


async def connection(
    res: Annotated[Resources, Depends(resources)],
) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection for one request."""
    async with res.pool.acquire() as acquired:
        yield cast(asyncpg.Connection, acquired)  # the pool's proxy forwards every method


Connection = Annotated[asyncpg.Connection, Depends(connection)]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: a token's name (or anonymous) and its scopes."""

    name: str
    scopes: frozenset[str]


async def caller(request: Request, res: Annotated[Resources, Depends(resources)]) -> Caller:
    """The caller named by the bearer token; anonymous without one."""
    header = request.headers.get("authorization")
    if header is None:
        return Caller("anonymous", frozenset({"read"}) if res.settings.reads_open else frozenset())
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("use 'Authorization: Bearer <token>'")
    digest = hashlib.sha256(token.strip().encode()).hexdigest()
    match = None
    for entry in res.settings.tokens:  # every entry compared, in constant time
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

    async def check(who: Annotated[Caller, Depends(caller)]) -> Caller:
        if scope not in who.scopes:
            if who.name == "anonymous":
                raise UnauthorizedError(f"this needs a token with the {scope!r} scope")
            raise ForbiddenError(f"token {who.name!r} lacks the {scope!r} scope")
        return who

    return Depends(check)


VersionQuery = Annotated[
    str | None,
    Query(
        alias="version", description="a model version id or commit sha; default: the active version"
    ),
]


async def version(db: Connection, res: Res, ref: VersionQuery = None) -> VersionRef:
    """The version a read is answered from: the active one is remembered for a moment."""
    if ref is not None:
        return await resolve_version(db, ref)
    return await res.active.get(db, res.settings.active_version_seconds)


Version = Annotated[VersionRef, Depends(version)]
