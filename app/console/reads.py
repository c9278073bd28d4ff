"""The reads of the console that the API has no route for, and the active version a page reads.

Pages call the catalog's and the jobs' functions as the API's routes do; only what the console
alone shows (the overview's figures) is read here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg
from fastapi import Request

from app.api.deps import Reading
from app.console.access import console_caller
from app.console.chart import DayCount
from app.resources import Resources


async def active_reading(request: Request) -> Reading:
    """A read of the active version by a caller who may read (the API's rule)."""
    await console_caller(request, "read")
    res: Resources = request.app.state.resources
    return Reading(await res.active_version(), res)


async def runs_per_day(connection: asyncpg.Connection, days: int) -> tuple[list[DayCount], date]:
    """Runs created in the last `days` days, counted by day (UTC) and state; and today."""
    rows = await connection.fetch(
        "SELECT (created_at AT TIME ZONE 'UTC')::date AS day, state, count(*) AS n FROM runs"
        " WHERE created_at >= (now() AT TIME ZONE 'UTC')::date - $1::int GROUP BY 1, 2",
        days - 1,
    )
    today: date = await connection.fetchval("SELECT (now() AT TIME ZONE 'UTC')::date")
    return [DayCount(r["day"], r["state"], r["n"]) for r in rows], today


async def last_rejected(connection: asyncpg.Connection) -> dict[str, Any] | None:
    """The newest version rejected for its errors, with its first problem."""
    row = await connection.fetchrow(
        "SELECT v.id, v.commit_sha, v.created_at, v.errors, (SELECT p.message FROM model_problems p"
        "   WHERE p.version_id = v.id AND p.severity = 'error' ORDER BY p.ordinal LIMIT 1) AS problem"
        " FROM model_versions v WHERE v.state = 'rejected' ORDER BY v.id DESC LIMIT 1"
    )
    return dict(row) if row else None
