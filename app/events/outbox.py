"""The outbox: an event is written in the transaction of the state change that causes it.

`emit` inserts the event and one pending delivery per subscription whose globs match its type
(`event_subscriptions`, written by the service at start), and sends `NOTIFY ecoplane_events`,
which Postgres delivers on commit: a rolled-back change sends nothing, a committed one is
delivered at least once by the delivery worker (`app.events.worker`). The event id is a UUID,
the CloudEvents `id` receivers deduplicate by.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson

CHANNEL = "ecoplane_events"
SOURCE = "/ecoplane"  # the CloudEvents source: a URI-reference naming this control plane
TYPE_PREFIX = "io.ecoplane."
MAX_DATA_BYTES = 256 * 1024  # an event's data; larger data is cut to its small fields
# events in one statement (runs start and end in bursts), in the order given
EMIT = (
    "WITH event AS (INSERT INTO events (id, type, source, subject, data)"
    "  SELECT u.id, u.type, $3, u.subject, u.data::jsonb"
    "  FROM unnest($1::uuid[], $2::text[], $4::text[], $5::text[]) WITH ORDINALITY"
    "   AS u(id, type, subject, data, n) ORDER BY u.n RETURNING id, type),"
    " delivery AS (INSERT INTO deliveries (event_id, subscription)"
    "  SELECT event.id, s.key FROM event, event_subscriptions s"
    "  WHERE EXISTS (SELECT 1 FROM unnest(s.patterns) AS p(pattern) WHERE event.type ~ p.pattern)"
    "  RETURNING 1)"
    " SELECT count(*) FROM delivery"
)
EVENT_FIELDS = "e.id, e.position, e.type, e.source, e.subject, e.time, e.data::text AS data"


@dataclass(frozen=True, slots=True)
class Event:
    """One event as stored: its id, type (without io.ecoplane.), subject, time and data."""

    id: str
    type: str
    source: str
    subject: str
    time: datetime
    data: dict[str, Any]
    position: int = 0

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Event:
        """The event of a row of EVENT_FIELDS."""
        return cls(
            str(row["id"]), row["type"], row["source"], row["subject"], row["time"],
            orjson.loads(row["data"]), row["position"],
        )  # fmt: skip


def encoded(data: dict[str, Any]) -> str:
    """The data as JSON text (datetimes as RFC 3339), bounded by MAX_DATA_BYTES."""
    text = orjson.dumps(data, default=str).decode()
    if len(text) <= MAX_DATA_BYTES:
        return text
    small = {k: v for k, v in data.items() if len(orjson.dumps(v, default=str)) <= 1024}
    return orjson.dumps({**small, "truncated": True}, default=str).decode()


async def emit(
    connection: asyncpg.Connection, type: str, subject: str, data: dict[str, Any]
) -> str:
    """Write an event and its deliveries in the caller's transaction; returns the event id."""
    return (await emit_many(connection, [(type, subject, data)]))[0]


async def emit_many(
    connection: asyncpg.Connection, events: list[tuple[str, str, dict[str, Any]]]
) -> list[str]:
    """Write events (type, subject, data each) and their deliveries in the caller's
    transaction, in one statement; returns their ids in order."""
    if not events:
        return []
    ids = [uuid.uuid4() for _ in events]
    types, subjects = [e[0] for e in events], [e[1] for e in events]
    data = [encoded(e[2]) for e in events]
    deliveries = await connection.fetchval(EMIT, ids, types, SOURCE, subjects, data)
    if deliveries:
        await connection.execute("SELECT pg_notify($1, '')", CHANNEL)  # sent on commit
    return [str(i) for i in ids]


@dataclass(frozen=True, slots=True)
class EventFilter:
    """The filters of GET /events: a type glob as a regular expression, a subject; None: any."""

    type_pattern: str | None = None
    subject: str | None = None


async def list_events(
    connection: asyncpg.Connection, where: EventFilter, before: int | None, limit: int
) -> list[dict[str, Any]]:
    """Events newest first, before a position (limit+1 rows), each with its deliveries."""
    rows = await connection.fetch(
        f"SELECT {EVENT_FIELDS}, coalesce((SELECT json_agg(json_build_object("
        " 'subscription', d.subscription, 'url', s.shown, 'format', s.format, 'state', d.state,"
        " 'attempts', d.attempts, 'nextAttemptAt', d.next_attempt_at, 'lastStatus', d.last_status,"
        " 'lastError', d.last_error, 'deliveredAt', d.delivered_at) ORDER BY d.subscription)::text"
        " FROM deliveries d LEFT JOIN event_subscriptions s ON s.key = d.subscription"
        " WHERE d.event_id = e.id), '[]') AS deliveries FROM events e"
        " WHERE ($1::text IS NULL OR e.type ~ $1) AND ($2::text IS NULL OR e.subject = $2)"
        " AND ($3::bigint IS NULL OR e.position < $3) ORDER BY e.position DESC LIMIT $4",
        where.type_pattern, where.subject, before, limit + 1,
    )  # fmt: skip
    return [
        {
            "id": str(row["id"]),
            "position": row["position"],
            "type": row["type"],
            "source": row["source"],
            "subject": row["subject"],
            "time": row["time"],
            "data": orjson.loads(row["data"]),
            "deliveries": orjson.loads(row["deliveries"]),
        }
        for row in rows
    ]


async def pending_count(connection: asyncpg.Connection) -> dict[str, int]:
    """Deliveries by state (pending is the outbox's depth)."""
    rows = await connection.fetch("SELECT state, count(*) AS n FROM deliveries GROUP BY state")
    return {row["state"]: row["n"] for row in rows}


async def prune(connection: asyncpg.Connection, days: float, batch: int = 10_000) -> int:
    """Delete events older than `days` with no pending delivery (a batch at a time)."""
    result = await connection.execute(
        "DELETE FROM events WHERE id IN (SELECT e.id FROM events e"
        " WHERE e.time < now() - make_interval(secs => $1) AND NOT EXISTS (SELECT 1"
        " FROM deliveries d WHERE d.event_id = e.id AND d.state = 'pending') LIMIT $2)",
        days * 86400, batch,
    )  # fmt: skip
    return int(result.split()[-1])
