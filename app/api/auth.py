"""Who is calling and what they may do: bearer tokens, their scopes, and the route guards."""

from __future__ import annotations

import functools
import hmac
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request

from app.api.oidc import signed_in
from app.errors import AppError, ForbiddenError, UnauthorizedError
from app.resources import Resources
from app.settings import Scope, Settings, implied_scopes, token_digest


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: a token's name (or anonymous), its scopes, and the teams it is limited
    to (empty: none named)."""

    name: str
    scopes: frozenset[str]
    teams: frozenset[str] = frozenset()


async def caller(request: Request) -> Caller:
    """The caller named by the bearer token (or OIDC JWT); anonymous without one."""
    res: Resources = request.app.state.resources
    header = request.headers.get("authorization")
    oidc = await signed_in(request, header)
    if oidc is not None:
        return Caller(oidc.name, oidc.scopes, oidc.teams)
    return caller_of(header, res.settings)


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
    return Caller(match.name, implied_scopes(match.scopes))


async def may_read(request: Request) -> bool:
    """Whether the caller of this request may read (no: refused, or not verifiable now)."""
    try:
        return "read" in (await caller(request)).scopes
    except AppError:
        return False


def allow(who: Caller, scope: Scope) -> Caller:
    """The caller, if it has the scope: 401 for anonymous callers, 403 for tokens."""
    if scope not in who.scopes:
        if who.name == "anonymous":
            raise UnauthorizedError(f"this needs a token with the {scope!r} scope")
        raise ForbiddenError(f"token {who.name!r} lacks the {scope!r} scope")
    return who


@functools.cache  # one dependency per scope: a request checks it once however often it is named
def require(scope: Scope) -> Any:
    """A dependency that lets only callers with this scope through."""

    async def check(request: Request) -> Caller:
        return allow(await caller(request), scope)

    return Depends(check)
