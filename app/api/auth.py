"""Who is calling and what they may do: bearer tokens, their scopes and teams, the route guards.

A bearer JWT of the OIDC issuer is verified by app/api/oidc.py; any other bearer token is
looked up in its sources in turn (`bearer_caller`): the digests of ECOPLANE_TOKENS, then the
tokens of the database (app/db/token_directory.py: expiry, revocation, last use). Every refusal (401,
403) leaves a WARNING line naming the token (never its secret).
"""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPBearer

from app.api.oidc import signed_in
from app.errors import AppError, ForbiddenError, UnauthorizedError
from app.resources import Resources
from app.settings import Scope, Settings, implied_scopes, token_digest

ANONYMOUS = "anonymous"
# the scope /metrics' guard declares in the document: `read`, open to anonymous callers by its rule
METRICS = "metrics"


# the bearer scheme of the OpenAPI document; it reads nothing itself (`caller` does)
class DeclaredBearer(HTTPBearer):
    """The bearer scheme as the document declares it; asked per request, it parses nothing."""

    async def __call__(self, request: Request) -> None:  # type: ignore[override]
        """Nothing: `caller` reads the Authorization header, once per request."""
        return


BEARER = DeclaredBearer(scheme_name="bearer", auto_error=False)
DECLARED = {
    scope: Security(BEARER, scopes=[scope]) for scope in ("read", "operate", "admin", METRICS)
}
CALLER = "ecoplane.caller"  # the request's state: its caller (or refusal), worked out once
log = logging.getLogger("ecoplane.auth")


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: a token's name (or anonymous), its scopes, and the teams (`ZONE/TEAM`)
    whose transformers and datastores it may start (empty: every team)."""

    name: str
    scopes: frozenset[str]
    teams: frozenset[str] = frozenset()


def anonymous(settings: Settings) -> Caller:
    """A caller without a token: it may read when reads are open."""
    return Caller(ANONYMOUS, frozenset({"read"}) if settings.reads_open else frozenset())


async def caller(request: Request) -> Caller:
    """The caller named by the request's bearer token (or OIDC JWT); anonymous without one.

    Worked out once per request (kept in its state), so a refusal is logged once."""
    state: MutableMapping[str, Any] = request.scope.setdefault("state", {})
    known = state.get(CALLER)
    if isinstance(known, AppError):
        raise known
    if known is None:
        try:
            known = await identified(request, request.headers.get("authorization"))
        except AppError as error:
            state[CALLER] = error
            raise
        state[CALLER] = known
    assert isinstance(known, Caller)
    return known


async def identified(request: Request, header: str | None) -> Caller:
    """The caller an Authorization header names on this request: an OIDC JWT (when OIDC is
    configured), else a token; anonymous without one. The console passes its cookie's."""
    oidc = await signed_in(request, header)
    if oidc is not None:
        return Caller(oidc.name, oidc.scopes, oidc.teams)
    return await caller_of(header, request.app.state.resources)


async def caller_of(header: str | None, res: Resources) -> Caller:
    """The caller an Authorization header names (None: anonymous)."""
    if header is None:
        return anonymous(res.settings)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        log.warning("refused a request whose Authorization is not a bearer token")
        raise UnauthorizedError("use 'Authorization: Bearer <token>'")
    return await bearer_caller(token.strip(), res)


async def bearer_caller(token: str, res: Resources) -> Caller:
    """The caller a bearer token names: ECOPLANE_TOKENS first, then the database's tokens."""
    digest = token_digest(token)
    found = configured_caller(digest, res.settings) or await stored_caller(digest, res)
    if found is None:
        log.warning("refused a token that is not valid (sha256 %s…)", digest[:8])
        raise UnauthorizedError("the token is not valid")
    return found


def configured_caller(digest: str, settings: Settings) -> Caller | None:
    """The caller of ECOPLANE_TOKENS with this digest; every entry compared, in constant time."""
    match = None
    for entry in settings.tokens:
        if hmac.compare_digest(digest, entry.sha256):
            match = entry
    return None if match is None else Caller(match.name, implied_scopes(match.scopes))


async def stored_caller(digest: str, res: Resources) -> Caller | None:
    """The caller of the database's token with this digest: 401 once revoked or expired."""
    found = await res.tokens.find(res.pool, digest)
    if found is None:
        return None
    refusal = found.refusal(datetime.now(UTC))
    if refusal is not None:
        log.warning("refused token %s: %s", found.name, refusal, extra={"token": found.name})
        raise UnauthorizedError(refusal)
    res.tokens.used(res.pool, found.name)
    return Caller(found.name, implied_scopes(found.scopes), found.teams)


async def may_read(request: Request) -> bool:
    """Whether the caller of this request may read (no: refused, or not verifiable now)."""
    try:
        return "read" in (await caller(request)).scopes
    except AppError:
        return False


def allow(who: Caller, scope: Scope) -> Caller:
    """The caller, if it has the scope: 401 for anonymous callers, 403 for tokens."""
    if scope not in who.scopes:
        log.warning("refused %s: it lacks the %r scope", who.name, scope, extra={"token": who.name})
        if who.name == ANONYMOUS:
            raise UnauthorizedError(f"this needs a token with the {scope!r} scope")
        raise ForbiddenError(f"token {who.name!r} lacks the {scope!r} scope")
    return who


@functools.cache  # one dependency per scope: a request checks it once however often it is named
def require(scope: Scope) -> Any:
    """A dependency that lets only callers with this scope through (the OpenAPI document gets
    the bearer scheme and the scope from its `Security`)."""

    async def check(request: Request, _bearer: Any = DECLARED[scope]) -> Caller:
        return allow(await caller(request), scope)

    return Depends(check)


async def metrics_reader(request: Request, _bearer: Any = DECLARED[METRICS]) -> Caller:
    """The guard of /metrics: a caller that may read, or anonymous when metrics are open
    (ECOPLANE_METRICS_OPEN; unset: as reads)."""
    res: Resources = request.app.state.resources
    who = await caller(request)
    if who.name == ANONYMOUS:
        if res.settings.metrics_anonymous:
            return who
        log.warning(
            "refused anonymous: /metrics needs a token with the 'read' scope",
            extra={"token": ANONYMOUS},
        )
        raise UnauthorizedError("/metrics needs a token with the 'read' scope")
    return allow(who, "read")
