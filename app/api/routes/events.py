"""Events: what the outbox holds, newest first, with each delivery's state."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.api.auth import require
from app.api.deps import Connection
from app.api.paging import Cursor, Limit, number_after, page
from app.api.schemas.events import EventPage
from app.errors import InvalidParameterError
from app.events.outbox import EventFilter, list_events
from app.events.subscriptions import GLOB, glob_pattern

router = APIRouter(tags=["events"])
TypeGlob = Annotated[
    str | None,
    Query(
        max_length=200,
        description="only events whose type matches this glob (run.*, model.version.rejected)",
    ),
]
Subject = Annotated[
    str | None, Query(max_length=300, description="only events about this subject (run/42)")
]


@router.get(
    "/events",
    summary="Events, newest first, with their deliveries",
    response_model=EventPage,
    dependencies=[require("read")],
)
async def events(
    db: Connection, type: TypeGlob = None, subject: Subject = None,
    limit: Limit = 50, cursor: Cursor = None,
) -> Any:  # fmt: skip
    """Recent events (kept ECOPLANE_EVENT_RETENTION_DAYS), each delivery's state, attempts and
    last error; a url is shown without its path (a Slack webhook's path is its secret)."""
    if type is not None and not GLOB.match(type):
        raise InvalidParameterError(
            "type", f"type {type!r} is not a glob of letters, digits, . _ - * ? (e.g. run.*)"
        )
    pattern = glob_pattern(type, guarded=False) if type is not None else None
    rows = await list_events(db, EventFilter(pattern, subject), number_after(cursor), limit)
    return page(rows, limit, "position")
