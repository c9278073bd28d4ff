"""API tokens of the database (scope admin): create one (its secret shown once), list, revoke."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path

from app.api.auth import Caller, require
from app.api.deps import Connection, Res, body_after, json_body
from app.api.paging import Cursor, Limit, page, text_after
from app.api.schemas.tokens import CreatedToken, TokenOut, TokenPage, TokenRequest
from app.catalog.owning_teams import checked_teams
from app.db import tokens as stored

router = APIRouter(tags=["tokens"])
Name = Annotated[str, Path(max_length=100, description="the token's name")]
log = logging.getLogger("ecoplane.auth")


@router.post(
    "/tokens",
    summary="Create an API token (its secret shown once)",
    response_model=CreatedToken,
    status_code=201,
    responses={
        409: {"description": "a token by this name exists (in the database or ECOPLANE_TOKENS)"},
        422: {"description": "a bad name, scope, team (not in the active model) or expiresIn"},
    },
    openapi_extra={"requestBody": json_body(TokenRequest)},
)
async def create_token(
    who: Annotated[Caller, require("admin")],
    body: Annotated[TokenRequest, body_after("admin", TokenRequest)],
    db: Connection,
    res: Res,
) -> Any:
    """A new token; only its sha256 is stored: the `secret` of this answer is never shown again."""
    request = stored.checked_request(body.name, list(body.scopes), body.teams, body.expires_in)
    await checked_teams(db, request.teams)
    configured = {entry.name for entry in res.settings.tokens}
    token, secret = await stored.create_token(db, request, who.name, configured)
    res.tokens.forget()  # usable at once on this replica
    log.info(
        "token %s created by %s (scopes %s, teams %s, expires %s)", token.name, who.name,
        token.scopes, token.teams or "all", token.expires_at or "never", extra={"token": token.name},
    )  # fmt: skip
    return {**asdict(token), "secret": secret}


@router.get(
    "/tokens",
    summary="API tokens of the database, by name",
    response_model=TokenPage,
    dependencies=[require("admin")],
)
async def tokens(db: Connection, limit: Limit = 50, cursor: Cursor = None) -> Any:
    """Every token made with `ecoplane token create` or this API, revoked ones too; never a
    secret (ECOPLANE_TOKENS' entries are in the configuration, not here)."""
    return page(await stored.list_tokens(db, text_after(cursor), limit), limit, "name")


@router.delete(
    "/tokens/{name}",
    summary="Revoke an API token",
    response_model=TokenOut,
    responses={
        404: {"description": "no token of the database has this name"},
        409: {"description": "the token was revoked already"},
    },
)
async def revoke_token(
    who: Annotated[Caller, require("admin")], db: Connection, res: Res, name: Name
) -> Any:
    """Refused from now on, on every replica within a second; the token stays listed, revoked."""
    token = await stored.revoke_token(db, name, who.name)
    res.tokens.forget()  # this replica at once; the others read theirs again within a second
    log.info("token %s revoked by %s", name, who.name, extra={"token": name})
    return token
