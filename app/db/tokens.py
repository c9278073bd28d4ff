"""The API tokens of the database: create (the secret returned once, its digest stored), list,
revoke, and what a new token's request must hold (name, scopes, teams, lifetime)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, get_args

import asyncpg

from app.errors import ConflictError, InvalidParameterError, NotFoundError
from app.settings import Scope, token_digest

PREFIX = "ecp_"  # a token of the database is recognisable (secret scanners, logs reviewed)
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$")
TEAM = re.compile(r"^[^/\s]{1,200}/[^/\s]{1,200}$")
DURATION = re.compile(r"^([1-9][0-9]{0,5})([mhdw])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
RESERVED = {"anonymous"}  # the name of a caller without a token
SHOWN = (
    "name, scopes, teams, created_at, created_by, expires_at, revoked_at, revoked_by, last_used_at"
)


@dataclass(frozen=True, slots=True)
class StoredToken:
    """A token of the database as it is shown: everything but its digest (and never a secret)."""

    name: str
    scopes: list[str]
    teams: list[str]
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, row: asyncpg.Record) -> StoredToken:
        """The token of a row with the SHOWN columns."""
        return cls(**{key: row[key] for key in SHOWN.split(", ")})


@dataclass(frozen=True, slots=True)
class NewToken:
    """A new token as asked for: checked by `checked_request` (each field named when wrong)."""

    name: str
    scopes: list[str]
    teams: list[str]
    expires_in: timedelta | None


def lifetime(text: str | None) -> timedelta | None:
    """`30d`, `12h`, `90m`, `2w` as a duration; None (never expires) for None."""
    if text is None:
        return None
    found = DURATION.match(text.strip())
    if found is None:
        raise InvalidParameterError(
            "expiresIn",
            f"the lifetime (expiresIn, --expires-in) {text[:40]!r} is not a duration:"
            " a number and m, h, d or w (e.g. 30d)",
        )
    return timedelta(**{UNITS[found[2]]: int(found[1])})


def checked_request(
    name: str, scopes: list[str], teams: list[str], expires_in: str | None
) -> NewToken:
    """The request, or a 422 naming the field that is wrong and why."""
    if not NAME.match(name) or name in RESERVED:
        raise InvalidParameterError(
            "name", f"{name[:120]!r} is not a token name: letters, digits, _ . @ - (at most 100),"
            " starting with a letter or digit, and not 'anonymous'",
        )  # fmt: skip
    wrong = [scope for scope in scopes if scope not in get_args(Scope)]
    if wrong or not scopes:
        raise InvalidParameterError(
            "scopes", f"scopes must be read, operate or admin (at least one), not {wrong[:5]}"
        )
    bad = [team for team in teams if not TEAM.match(team)]
    if bad:
        raise InvalidParameterError("teams", f"teams are written ZONE/TEAM, not {bad[0][:120]!r}")
    if teams and "admin" in scopes:
        raise InvalidParameterError(
            "teams", "an admin token cannot be limited to teams: what admin gates has no team"
        )
    unique_teams = sorted(set(teams))
    return NewToken(name, sorted(set(scopes)), unique_teams, lifetime(expires_in))


def new_secret() -> str:
    """A new token's secret: the prefix and 256 random bits, URL-safe."""
    return PREFIX + secrets.token_urlsafe(32)


async def create_token(
    connection: asyncpg.Connection, request: NewToken, by: str, configured: Collection[str]
) -> tuple[StoredToken, str]:
    """Store a new token (its digest only); the token and its secret, to be shown once.

    A name of ECOPLANE_TOKENS (`configured`) or of a token made before (revoked too) is a 409."""
    if request.name in configured:
        raise ConflictError(f"a token named {request.name!r} is configured in ECOPLANE_TOKENS")
    secret = new_secret()
    expires = None if request.expires_in is None else request.expires_in.total_seconds()
    row = await connection.fetchrow(
        "INSERT INTO api_tokens (name, sha256, scopes, teams, created_by, expires_at)"
        " VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))"
        f" ON CONFLICT (name) DO NOTHING RETURNING {SHOWN}",
        request.name, token_digest(secret), request.scopes, request.teams, by, expires,
    )  # fmt: skip
    if row is None:
        raise ConflictError(f"a token named {request.name!r} exists already (names are not reused)")
    return StoredToken.of(row), secret


async def list_tokens(
    connection: asyncpg.Connection, after: str | None, limit: int
) -> list[dict[str, Any]]:
    """Up to limit+1 tokens by name after `after` (revoked ones too), as dicts of StoredToken."""
    rows = await connection.fetch(
        f"SELECT {SHOWN} FROM api_tokens WHERE $1::text IS NULL OR name > $1 ORDER BY name LIMIT $2",
        after, limit + 1,
    )  # fmt: skip
    return [dict(row) for row in rows]


async def revoke_token(connection: asyncpg.Connection, name: str, by: str) -> StoredToken:
    """Revoke a token from now on; 404 if there is none by that name, 409 if already revoked."""
    row = await connection.fetchrow(
        f"UPDATE api_tokens SET revoked_at = now(), revoked_by = $2"
        f" WHERE name = $1 AND revoked_at IS NULL RETURNING {SHOWN}",
        name, by,
    )  # fmt: skip
    if row is not None:
        return StoredToken.of(row)
    revoked = await connection.fetchval("SELECT revoked_at FROM api_tokens WHERE name = $1", name)
    if revoked is None:
        raise NotFoundError(f"no token of the database is named {name!r}")
    raise ConflictError(f"token {name!r} was revoked already, at {revoked.isoformat()}")
