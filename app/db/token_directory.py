"""The database's tokens by digest, in memory: every request checks its token here, and the
map is read again once it is older than a second, so that a token revoked on any replica is
refused everywhere within a second without a query per request. Use is recorded in the
background, at most once a minute per token (not a write per request)."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from app.db.outage import DRIVER_ERRORS
from app.errors import DatabaseUnavailableError

FRESH_SECONDS = 1.0  # how old the map may be: a revocation is effective within this
USE_SECONDS = 60.0  # last_used_at is written at most this often per token and replica
log = logging.getLogger("ecoplane.auth")


@dataclass(frozen=True, slots=True)
class KnownToken:
    """What a request's check needs of a token of the database (no secret, no digest)."""

    name: str
    scopes: frozenset[str]
    teams: frozenset[str]
    expires_at: datetime | None
    revoked_at: datetime | None

    def refusal(self, now: datetime) -> str | None:
        """Why it is not accepted now (revoked, expired); None when it is."""
        if self.revoked_at is not None:
            return f"the token {self.name!r} was revoked at {self.revoked_at.isoformat()}"
        if self.expires_at is not None and self.expires_at <= now:
            return f"the token expired ({self.name!r}, at {self.expires_at.isoformat()})"
        return None


class TokenDirectory:
    """The tokens of the `api_tokens` table by sha256, read again when older than `fresh`."""

    def __init__(self, fresh: float = FRESH_SECONDS, use_every: float = USE_SECONDS) -> None:
        self.fresh, self.use_every = fresh, use_every
        self.by_digest: dict[str, KnownToken] = {}
        self.read_at = -math.inf  # time.monotonic() when the map's query started
        self.reading = asyncio.Lock()
        self.recorded: dict[str, float] = {}  # token name → when its use was last written
        self.writes: set[asyncio.Task[None]] = set()

    async def find(self, pool: asyncpg.Pool, digest: str) -> KnownToken | None:
        """The token with this digest, from a map at most `fresh` seconds old."""
        if time.monotonic() - self.read_at >= self.fresh:
            async with self.reading:  # one query however many requests find the map old
                if time.monotonic() - self.read_at >= self.fresh:
                    await self._read(pool)
        return self.by_digest.get(digest)

    def forget(self) -> None:
        """Read the map again at the next request (this replica revoked or created one)."""
        self.read_at = -math.inf

    async def _read(self, pool: asyncpg.Pool) -> None:
        started = time.monotonic()
        try:
            rows = await pool.fetch(
                "SELECT sha256, name, scopes, teams, expires_at, revoked_at FROM api_tokens"
            )
        except DRIVER_ERRORS as error:
            log.warning("the database's tokens cannot be read: %s", type(error).__name__)
            raise DatabaseUnavailableError(
                "the database's tokens cannot be read; try again shortly"
            ) from error
        self.by_digest = {
            row["sha256"]: KnownToken(
                row["name"], frozenset(row["scopes"]), frozenset(row["teams"]),
                row["expires_at"], row["revoked_at"],
            )
            for row in rows
        }  # fmt: skip
        self.read_at = started

    def used(self, pool: asyncpg.Pool, name: str) -> None:
        """Note a token's use: written in the background unless written less than a minute ago."""
        now = time.monotonic()
        if now - self.recorded.get(name, -math.inf) < self.use_every:
            return
        self.recorded[name] = now
        task = asyncio.create_task(self._record(pool, name, datetime.now(UTC)))
        self.writes.add(task)
        task.add_done_callback(self.writes.discard)

    async def _record(self, pool: asyncpg.Pool, name: str, at: datetime) -> None:
        try:
            await pool.execute(
                "UPDATE api_tokens SET last_used_at = $2 WHERE name = $1"
                " AND (last_used_at IS NULL OR last_used_at < $2)",
                name, at,
            )  # fmt: skip
        except DRIVER_ERRORS as error:
            self.recorded.pop(name, None)  # tried again at the next use
            log.warning(
                "the last use of token %s could not be recorded: %s", name, type(error).__name__,
                extra={"token": name},
            )  # fmt: skip

    async def close(self) -> None:
        """Wait for the uses being written (before the pool closes)."""
        await asyncio.gather(*self.writes, return_exceptions=True)
