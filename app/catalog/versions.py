"""Reading model versions: which one a request means, the list, one version, its problems."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import asyncpg

from app.catalog.activations import activations_of
from app.db.model_versions import active_version_id, model_is_stored
from app.db.tables import VersionState
from app.errors import InvalidParameterError, NoActiveModelError, NotFoundError

SHA = re.compile(r"[0-9a-fA-F]{4,40}")
log = logging.getLogger("ecoplane")
Lend = Callable[[], AbstractAsyncContextManager[asyncpg.Connection]]  # a connection for a block
VERSION_COLUMNS = (
    "id, state, commit_sha, source, content_hash, errors, warnings, counts, timings, failure,"
    " held_back, created_at, activated_at, superseded_at"
)


@dataclass(frozen=True, slots=True)
class VersionRef:
    """The version a read is answered from."""

    id: int
    state: str


async def resolve_version(
    connection: asyncpg.Connection, ref: str | None, *, stored: bool = True
) -> VersionRef:
    """The version named by `?version=` (an id or a commit sha), or the active one.

    With `stored`, only versions whose model is stored qualify (active, superseded, or held back
    for breaking changes); a version rejected for its errors has its problems only.
    """
    if ref is None:
        active = await active_version_id(connection)
        if active is None:
            raise NoActiveModelError(
                "no model version is active yet; load one (ecoplane load or an ingest)"
            )
        return VersionRef(active, VersionState.ACTIVE.value)
    row = await _by_ref(connection, ref.strip())
    if row is None:
        raise NotFoundError(f"model version {ref!r} does not exist")
    if stored and not model_is_stored(row["state"], row["errors"]):
        raise NotFoundError(f"model version {ref!r} is {row['state']}: its model is not stored")
    return VersionRef(row["id"], row["state"])


class ActiveVersion:
    """The active version, read at most once per `seconds` (a request then needs no query for it).

    A new version becomes visible to this process within that time; each answer is still
    read entirely from one version, named by id. When it has to be read again, one read serves
    every request that asks meanwhile: under load, dozens asked at once and each took a pooled
    connection for it, which tripled the slowest answers (p99).

    Once half of that time has passed, the next request starts the read in the background and
    is answered from the version it has: under load the read is done before anyone has to wait
    for it. (Every request waited for it once a second, and the read waited for a connection
    behind the requests': stalls of 100-500 ms, the slowest answers of every cold read.) The
    read takes its connection from `lend`, as the requests do, in turn. An activation (`forget`)
    makes the next request wait for a new read: a read started before it is not kept.
    """

    def __init__(self) -> None:
        self.ref: VersionRef | None = None
        self.read_at = float("-inf")
        self.reading: asyncio.Future[VersionRef] | None = None
        self.generation = 0  # one more at each forget: a read started before it is not kept

    async def get(self, lend: Lend, seconds: float) -> VersionRef:
        """The active version, from memory while it is fresh (no connection needed then)."""
        ref = self.ref
        if ref is not None:
            age = time.monotonic() - self.read_at
            if age < seconds:
                if age >= seconds / 2 and self.reading is None:  # ahead of need
                    self._start(lend).add_done_callback(_logged)
                return ref
        reading = self.reading or self._start(lend)
        return await asyncio.shield(reading)  # a cancelled request leaves the read going

    def _start(self, lend: Lend) -> asyncio.Future[VersionRef]:
        self.reading = asyncio.ensure_future(self._read(lend, self.generation))
        return self.reading

    async def _read(self, lend: Lend, generation: int) -> VersionRef:
        try:
            started = time.monotonic()
            async with lend() as connection:
                ref = await resolve_version(connection, None)
            if generation == self.generation:
                self.ref, self.read_at = ref, started
            return ref
        finally:
            if generation == self.generation:
                self.reading = None

    async def forget(self, _version_id: int | None = None) -> None:
        """Read the active version again at the next request (an activation subscriber)."""
        self.ref, self.reading = None, None
        self.generation += 1


def _logged(read: asyncio.Future[VersionRef]) -> None:
    """A read nobody waited for that failed: said (the next request that needs it reads again)."""
    if not read.cancelled() and (error := read.exception()) is not None:
        log.warning("the active model version was not read ahead of need: %s", error)


async def _by_ref(connection: asyncpg.Connection, ref: str) -> asyncpg.Record | None:
    if ref.isascii() and ref.isdigit() and len(ref) < 19:  # int() also takes '³' or '١٢'
        return await connection.fetchrow(
            "SELECT id, state, errors FROM model_versions WHERE id = $1", int(ref)
        )
    if not SHA.fullmatch(ref):
        raise InvalidParameterError(
            "version", f"version {ref[:80]!r} is neither a version id nor a commit sha"
        )
    rows = await connection.fetch(
        "SELECT DISTINCT v.id, v.state, v.errors FROM model_versions v"
        " LEFT JOIN model_version_commits c ON c.version_id = v.id"
        " WHERE v.commit_sha LIKE $1 || '%' OR c.commit_sha LIKE $1 || '%' ORDER BY v.id DESC",
        ref.lower(),
    )
    if len(rows) > 1:
        raise InvalidParameterError(
            "version", f"commit {ref!r} is ambiguous: it matches versions {[r['id'] for r in rows]}"
        )
    return rows[0] if rows else None


async def list_versions(
    connection: asyncpg.Connection, limit: int, before: int | None
) -> list[dict[str, Any]]:
    """Versions, newest first, below an id (for paging)."""
    rows = await connection.fetch(
        f"SELECT {VERSION_COLUMNS} FROM model_versions WHERE $1::bigint IS NULL OR id < $1 ORDER BY id DESC LIMIT $2",
        before,
        limit,
    )
    return [dict(r) for r in rows]


async def get_version(connection: asyncpg.Connection, version_id: int) -> dict[str, Any]:
    """One version with its commits, its breaking changes and its activations."""
    row = await connection.fetchrow(
        f"SELECT {VERSION_COLUMNS}, breaking_changes FROM model_versions WHERE id = $1", version_id
    )
    if row is None:
        raise NotFoundError(f"model version {version_id} does not exist")
    commits = await connection.fetch(
        "SELECT commit_sha, source, recorded_at FROM model_version_commits WHERE version_id = $1 ORDER BY recorded_at",
        version_id,
    )
    breaking = row["breaking_changes"]
    return {
        **dict(row),
        "breaking_changes": json.loads(breaking) if isinstance(breaking, str) else breaking,
        "commits": [dict(c) for c in commits],
        "activations": await activations_of(connection, version_id),
    }


async def version_problems(
    connection: asyncpg.Connection, version_id: int, limit: int, after: int | None
) -> list[dict[str, Any]]:
    """The validation problems of a version, in order, after an ordinal (for paging)."""
    await get_version(connection, version_id)
    rows = await connection.fetch(
        "SELECT ordinal, severity, code, message, file, line, column_number AS column, path FROM model_problems"
        " WHERE version_id = $1 AND ($2::int IS NULL OR ordinal > $2) ORDER BY ordinal LIMIT $3",
        version_id,
        after,
        limit,
    )
    return [dict(r) for r in rows]
