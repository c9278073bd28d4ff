"""The checks in Postgres: asked for by webhooks, superseded by newer heads, claimed, finished."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from app.db.check_table import WAITING, CheckState
from app.errors import NotFoundError
from app.events.outbox import emit

COLUMNS = (
    "id, forge, pull_request, head_sha, author, delivery_id, state, attempts, next_attempt_at,"
    " detail, report, superseded_by, created_at, finished_at"
)
WAITING_STATES = [state.value for state in WAITING]


def _row(record: asyncpg.Record) -> dict[str, Any]:
    row = dict(record)
    if isinstance(row["report"], str):  # a bare connection has no jsonb codec
        row["report"] = json.loads(row["report"])
    return row


async def queue_check(
    connection: asyncpg.Connection, *, forge: str, pull_request: int, head_sha: str,
    author: str | None, delivery_id: str | None,
) -> tuple[dict[str, Any], bool]:  # fmt: skip
    """Ask for a check of a head; earlier checks of the pull request are superseded by it.

    A delivery seen before gives the check it made and False."""
    async with connection.transaction():
        record = await connection.fetchrow(
            f"INSERT INTO checks (forge, pull_request, head_sha, author, delivery_id, state)"
            f" VALUES ($1, $2, $3, $4, $5, 'queued')"
            f" ON CONFLICT (forge, delivery_id) WHERE delivery_id IS NOT NULL DO NOTHING"
            f" RETURNING {COLUMNS}",
            forge, pull_request, head_sha, author, delivery_id,
        )  # fmt: skip
        if record is None:
            existing = await connection.fetchrow(
                f"SELECT {COLUMNS} FROM checks WHERE forge = $1 AND delivery_id = $2",
                forge,
                delivery_id,
            )
            assert existing is not None  # the conflicting row: checks are never deleted
            return _row(existing), False
        await supersede(connection, forge, pull_request, record["id"], f"check {record['id']}")
    return _row(record), True


async def supersede(
    connection: asyncpg.Connection, forge: str, pull_request: int, by: int | None, why: str
) -> int:
    """Checks of the pull request before `by` (all, when None) are replaced; how many waited."""
    await connection.execute(
        "UPDATE checks SET superseded_by = $3 WHERE forge = $1 AND pull_request = $2"
        " AND superseded_by IS NULL AND ($3::bigint IS NULL OR id < $3)",
        forge, pull_request, by,
    )  # fmt: skip
    status = await connection.execute(
        "UPDATE checks SET state = 'superseded', detail = $4, finished_at = now()"
        " WHERE forge = $1 AND pull_request = $2 AND ($3::bigint IS NULL OR id < $3)"
        " AND state = ANY($5::text[])",
        forge, pull_request, by, f"superseded: {why}", WAITING_STATES,
    )  # fmt: skip
    return int(status.split()[-1])


async def claim_due(connection: asyncpg.Connection) -> dict[str, Any] | None:
    """Take the oldest check that is due (queued, or pending and its retry time come)."""
    record = await connection.fetchrow(
        f"UPDATE checks SET state = 'running', attempts = attempts + 1 WHERE id = ("
        f"  SELECT id FROM checks WHERE state IN ('queued', 'pending') AND next_attempt_at <= now()"
        f"  ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING {COLUMNS}"
    )
    return _row(record) if record is not None else None


async def recover_running(connection: asyncpg.Connection) -> list[int]:
    """Checks a stopped worker left running wait to be tried again. Hold the checks lock."""
    records = await connection.fetch(
        "UPDATE checks SET state = 'pending', next_attempt_at = now(),"
        " detail = 'interrupted: tried again' WHERE state = 'running' RETURNING id"
    )
    return sorted(r["id"] for r in records)


async def is_current(connection: asyncpg.Connection, check_id: int) -> bool:
    """Whether the check is still running (no newer event of its pull request replaced it)."""
    state = await connection.fetchval("SELECT state FROM checks WHERE id = $1", check_id)
    return bool(state == CheckState.RUNNING.value)


async def finish(
    connection: asyncpg.Connection, check_id: int, state: str, detail: str,
    report: dict[str, Any] | None, author: str | None = None,
) -> None:  # fmt: skip
    """Record the verdict posted (a superseded check keeps its state); pull_request.checked."""
    async with connection.transaction():
        row = await connection.fetchrow(
            "UPDATE checks SET state = $2, detail = $3, report = $4::jsonb, finished_at = now(),"
            " author = coalesce($5, author) WHERE id = $1 AND state = 'running'"
            " RETURNING forge, pull_request, head_sha, author",
            check_id, state, detail, json.dumps(report) if report is not None else None, author,
        )  # fmt: skip
        if row is not None:
            data = {"check": check_id, "forge": row["forge"], "pullRequest": row["pull_request"],
                    "headSha": row["head_sha"], "author": row["author"], "state": state,
                    "detail": detail}  # fmt: skip
            await emit(connection, "pull_request.checked", f"check/{check_id}", data)


async def postpone(
    connection: asyncpg.Connection, check_id: int, detail: str, seconds: float,
    report: dict[str, Any] | None = None,
) -> None:  # fmt: skip
    """Leave the check pending, tried again after `seconds`."""
    await connection.execute(
        "UPDATE checks SET state = 'pending', detail = $2, report = coalesce($4::jsonb, report),"
        " next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1 AND state = 'running'",
        check_id, detail, seconds, json.dumps(report) if report is not None else None,
    )  # fmt: skip


async def get_check(connection: asyncpg.Connection, check_id: int) -> dict[str, Any]:
    """One check."""
    record = await connection.fetchrow(f"SELECT {COLUMNS} FROM checks WHERE id = $1", check_id)
    if record is None:
        raise NotFoundError(f"check {check_id} does not exist")
    return _row(record)


async def list_checks(
    connection: asyncpg.Connection, limit: int, before: int | None, pull_request: int | None
) -> list[dict[str, Any]]:
    """Checks, newest first, below an id (for paging), optionally of one pull request."""
    records = await connection.fetch(
        f"SELECT {COLUMNS} FROM checks WHERE ($1::bigint IS NULL OR id < $1)"
        f" AND ($2::int IS NULL OR pull_request = $2) ORDER BY id DESC LIMIT $3",
        before, pull_request, limit,
    )  # fmt: skip
    return [_row(r) for r in records]
