"""Who is reading or acting in the console: the API's callers and scopes (app/api/auth.py),
with the token taken from the sign-in cookie when the browser sends no Authorization header.

The console's one use of the API's auth: adapt here if `caller` changes.
"""

from __future__ import annotations

from fastapi import Request

from app.api.auth import Caller, allow, identified
from app.settings import Scope

TOKEN_COOKIE = "ecoplane_console_token"


def authorization(request: Request) -> str | None:
    """The Authorization header the request carries, or the one its sign-in cookie stands for."""
    header = request.headers.get("authorization")
    if header is None and (token := request.cookies.get(TOKEN_COOKIE)):
        return f"Bearer {token}"
    return header


async def console_caller(request: Request, scope: Scope = "read") -> Caller:
    """The caller, if it has the scope (UnauthorizedError/ForbiddenError otherwise)."""
    return allow(await identified(request, authorization(request)), scope)


async def token_caller(request: Request, token: str) -> Caller:
    """The caller a token (or an OIDC JWT) given in the sign-in form names (UnauthorizedError
    if none)."""
    return await identified(request, f"Bearer {token.strip()}")
