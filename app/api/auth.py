"""Who is calling and what they may do: bearer tokens, their scopes, and the route guards."""

from __future__ import annotations

import functools
import hmac
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request

from app.errors import ForbiddenError, UnauthorizedError
from app.resources import Resources
from app.settings import Scope, Settings, token_digest


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


def may_read(authorization: str | None, settings: Settings) -> bool:
    """Whether the caller this Authorization header names may read."""
    try:
        return "read" in caller_of(authorization, settings).scopes
    except UnauthorizedError:
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
        return allow(caller(request), scope)

    return Depends(check)
