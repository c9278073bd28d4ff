"""Store a loaded model as a new model version and make it active, atomically.

A version is written in one transaction. Each model table gets a new partition: created as a
standalone table, filled with COPY (no index to maintain row by row), then attached, which
builds its indexes in bulk. At the end the transaction takes model_versions in ACCESS
EXCLUSIVE mode and flips the active version. Every `current_*` view reads model_versions, so
a reader holds it from parsing to the end of its statement: the flip waits for readers that
planned against the old partition list, and readers that come later plan against the new
one. (Without that lock a reader was seen pairing the new version id with a partition list
that lacked its partitions.) A reader therefore sees the old version or the new one, never a
part; the lock is held for milliseconds, at commit.

While a version loads, its row says `loading` and the loading session holds an advisory lock
on it, so a crashed load is told from one still running.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog import version_events
from app.catalog.activations import Activation, flip
from app.catalog.partitions import Progress, partition_name, partition_rows
from app.catalog.schema import ENTITY_PREFIX, PARTITION_SCHEMA, stored_columns
from app.db.engine import driver_connection
from app.db.tables import VersionState
from app.ecosystem.loader import collector_paused
from app.ecosystem.model import Model
from app.ecosystem.model_tables import MODEL_TABLES
from app.errors import AppError


class CatalogError(AppError):
    """Storing or reading model versions failed in the database."""

    status = 503
    type = "catalog-error"


class ModelNotStorableError(CatalogError):
    """The database refuses the model's content (a value it cannot hold): the same every time."""

    status = 422
    type = "model-not-storable"


# errors of the content, not of the database's state: storing the same model fails the same way
CONTENT_ERRORS = (
    UnicodeEncodeError,  # text the driver cannot send (a lone surrogate)
    asyncpg.DataError,
    asyncpg.IntegrityConstraintViolationError,
    asyncpg.ProgramLimitExceededError,
)
ACTIVATION_LOCK_TIMEOUT = "30s"  # how long the flip may wait for running readers of the views
LOCK_SPACE = 0x45C0  # advisory locks of the catalog: (LOCK_SPACE, version id); 0 serialises loads
CONTENT_LOCK_SPACE = 0x45C2  # (CONTENT_LOCK_SPACE, hashtext(content hash)): one store per content


@dataclass(frozen=True, slots=True)
class HeldBack:
    """Why a version without errors is not activated, and the state it is kept in."""

    reason: str
    state: VersionState = VersionState.SUPERSEDED  # rejected: for its breaking changes
    breaking_changes: list[dict[str, Any]] | None = None


# Called inside the activating transaction, after every other activation is locked out, with
# the version about to be activated: returns why it must not be (HeldBack), or None to go
# ahead; it may record the activation in the same transaction.
ActivationGuard = Callable[[asyncpg.Connection, int], Awaitable[HeldBack | None]]


@dataclass(slots=True)
class StoredVersion:
    """The outcome of storing a model."""

    id: int
    state: VersionState
    created: bool  # False when a version with the same content already existed
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    held_back: str | None = None  # why an accepted model was not activated (the guard's reason)


async def store_model(
    engine: AsyncEngine,
    model: Model,
    *,
    source: str,
    commit_sha: str | None = None,
    progress: Progress | None = None,
    guard: ActivationGuard | None = None,
    activated_by: str | None = None,
) -> StoredVersion:
    """Store a model as a version: active when it has no errors (and the guard agrees), rejected otherwise.

    One version per content: stores of the same content take turns (an advisory lock on the
    content hash), and each one after the first finds the first one's version and reuses it.
    An activation is recorded as by `activated_by` (default: the source).
    """
    origin = _Written(0, source, commit_sha, activated_by or source)
    async with engine.connect() as handle:
        connection = await driver_connection(handle)
        content_lock = (CONTENT_LOCK_SPACE, model.content_hash)
        await connection.execute("SELECT pg_advisory_lock($1, hashtext($2))", *content_lock)
        try:
            existing = await _existing(connection, model.content_hash)
            if existing is not None:
                return await _reuse(connection, existing, origin, guard)
            return await _store_new(connection, model, origin, progress, guard)
        finally:
            await connection.execute("SELECT pg_advisory_unlock($1, hashtext($2))", *content_lock)


async def _store_new(
    connection: asyncpg.Connection,
    model: Model,
    origin: _Written,
    progress: Progress | None,
    guard: ActivationGuard | None,
) -> StoredVersion:
    """Write a new version; a failure marks it failed and raises CatalogError."""
    version_id = await connection.fetchval(
        "INSERT INTO model_versions (source, commit_sha, content_hash, state, errors, warnings, counts, timings)"
        " VALUES ($1, $2, $3, 'loading', $4, $5, '{}', '{}') RETURNING id",
        origin.source, origin.commit_sha, model.content_hash, model.errors, model.warnings,
    )  # fmt: skip
    await connection.execute("SELECT pg_advisory_lock($1, $2)", LOCK_SPACE, version_id)
    try:
        written = _Written(version_id, origin.source, origin.commit_sha, origin.activated_by)
        return await _write(connection, model, written, progress, guard)
    except (asyncpg.PostgresError, OSError, UnicodeEncodeError) as error:
        await connection.execute(
            "UPDATE model_versions SET state = 'failed', failure = $2 WHERE id = $1",
            version_id, f"{type(error).__name__}: {error}"[:1000],
        )  # fmt: skip
        failure = ModelNotStorableError if isinstance(error, CONTENT_ERRORS) else CatalogError
        raise failure(f"storing model version {version_id} failed: {error}") from error
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1, $2)", LOCK_SPACE, version_id)


async def _existing(connection: asyncpg.Connection, content_hash: str) -> asyncpg.Record | None:
    return await connection.fetchrow(
        "SELECT id, state, errors, counts, timings FROM model_versions WHERE content_hash = $1"
        " AND state IN ('active', 'superseded', 'rejected') ORDER BY id DESC LIMIT 1",
        content_hash,
    )


async def _reuse(
    connection: asyncpg.Connection,
    existing: asyncpg.Record,
    origin: _Written,
    guard: ActivationGuard | None,
) -> StoredVersion:
    """Record the commit against the version that has its content; bring it back if it may be.

    A superseded version, or one held back for breaking changes, is offered to the guard again.
    """
    version = _Written(existing["id"], origin.source, origin.commit_sha, origin.activated_by)
    state = VersionState(existing["state"])
    held_back = None
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1, 0)", LOCK_SPACE)
        await _record_commit(connection, version)
        if state is VersionState.SUPERSEDED or (
            state is VersionState.REJECTED and existing["errors"] == 0
        ):
            await connection.execute(f"SET LOCAL lock_timeout = '{ACTIVATION_LOCK_TIMEOUT}'")
            await connection.execute("LOCK TABLE model_versions IN ACCESS EXCLUSIVE MODE")
            state, held_back = await _settle(connection, version, True, guard)
    return StoredVersion(
        existing["id"],
        state,
        False,
        _decoded(existing["counts"]),
        _decoded(existing["timings"]),
        held_back,
    )


def _decoded(value: object) -> dict[str, Any]:
    """A jsonb value: decoded by the engine's codec already, or text from a bare connection."""
    decoded = json.loads(value) if isinstance(value, str) else value
    return dict(decoded) if isinstance(decoded, dict) else {}


@dataclass(frozen=True, slots=True)
class _Written:
    """The version being written and where its model came from."""

    id: int
    source: str
    commit_sha: str | None
    activated_by: str

    def activation(self) -> Activation:
        """The automatic activation of this version."""
        at = f" at commit {self.commit_sha[:12]}" if self.commit_sha else ""
        return Activation(self.activated_by, f"stored from {self.source}{at}")


async def _write(
    connection: asyncpg.Connection,
    model: Model,
    version: _Written,
    progress: Progress | None,
    guard: ActivationGuard | None,
) -> StoredVersion:
    version_id = version.id
    accepted = model.errors == 0
    tables = list(MODEL_TABLES) if accepted else ["problems"]  # a rejected model keeps its problems
    counts: dict[str, int] = {}
    started = time.perf_counter()
    async with connection.transaction():
        # one load or retention at a time: they attach and detach partitions of the same tables
        await connection.execute("SELECT pg_advisory_xact_lock($1, 0)", LOCK_SPACE)
        with collector_paused():  # millions of short-lived tuples: no full collections meanwhile
            for table in tables:
                counts[table] = await _write_table(connection, table, version_id, model, progress)
        written = time.perf_counter()
        await connection.execute(f"SET LOCAL lock_timeout = '{ACTIVATION_LOCK_TIMEOUT}'")
        await connection.execute("LOCK TABLE model_versions IN ACCESS EXCLUSIVE MODE")
        state, held_back = await _settle(connection, version, accepted, guard)
        await _record_commit(connection, version)
        timings = {
            "write": round(written - started, 3),
            "activate": round(time.perf_counter() - written, 3),
        }
        await connection.execute(
            "UPDATE model_versions SET counts = $2, timings = $3 WHERE id = $1",
            version_id, json.dumps(counts), json.dumps(timings),
        )  # fmt: skip
    timings["total"] = round(time.perf_counter() - started, 3)
    return StoredVersion(version_id, state, True, counts, timings, held_back)


async def _settle(
    connection: asyncpg.Connection,
    version: _Written,
    accepted: bool,
    guard: ActivationGuard | None,
) -> tuple[VersionState, str | None]:
    """Activate a written version, or keep it rejected, or held back as the guard says."""
    if not accepted:
        await connection.execute(
            "UPDATE model_versions SET state = 'rejected' WHERE id = $1", version.id
        )
        await version_events.rejected(connection, version.id, "the model has validation errors")
        return VersionState.REJECTED, None
    held = await guard(connection, version.id) if guard else None
    if held is not None:
        await connection.execute(
            "UPDATE model_versions SET state = $2, held_back = $3, breaking_changes = $4::jsonb,"
            " superseded_at = CASE WHEN $2 = 'superseded' THEN now() END WHERE id = $1",
            version.id, held.state.value, held.reason,
            None if held.breaking_changes is None else json.dumps(held.breaking_changes),
        )  # fmt: skip
        if held.state is VersionState.REJECTED:
            await version_events.rejected(
                connection, version.id, held.reason, held.breaking_changes
            )
        return held.state, held.reason
    await flip(connection, version.id, version.activation())
    return VersionState.ACTIVE, None


async def _write_table(
    connection: asyncpg.Connection,
    table: str,
    version_id: int,
    model: Model,
    progress: Progress | None,
) -> int:
    """Fill a new partition with COPY, then attach it (which builds its indexes); returns the rows.

    The console search's indexes come after the activation (app/catalog/search_indexes.py)."""
    parent, partition, version = (
        f"{ENTITY_PREFIX}{table}",
        partition_name(table, version_id),
        int(version_id),
    )
    # every row of the partition has this version: a column default saves sending it per row
    await connection.execute(
        f"CREATE TABLE {partition} (LIKE {parent} INCLUDING DEFAULTS,"
        f" CONSTRAINT version_{version} CHECK (version_id = {version}));"
        f" ALTER TABLE {partition} ALTER COLUMN version_id SET DEFAULT {version}"
    )
    columns = stored_columns(table)
    result = await connection.copy_records_to_table(
        partition.partition(".")[2],
        schema_name=PARTITION_SCHEMA,
        records=partition_rows(table, model, progress),
        columns=columns,
    )
    await connection.execute(
        f"ALTER TABLE {parent} ATTACH PARTITION {partition} FOR VALUES IN ({version})"
    )
    # the version column's statistics now, not when autovacuum comes round (a minute later):
    # without them the planner takes every version for a handful of rows and answers the
    # first lists 2-3x slower; the full statistics cost 4x as much and autovacuum adds them
    await connection.execute(f"ANALYZE {partition} (version_id)")
    return int(result.split()[-1])


async def _record_commit(connection: asyncpg.Connection, version: _Written) -> None:
    if version.commit_sha:
        await connection.execute(
            "INSERT INTO model_version_commits (version_id, commit_sha, source) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING",
            version.id, version.commit_sha, version.source,
        )  # fmt: skip
