"""The deliveries' statements: claim the due ones under a lease, record how an attempt went.

A claim takes up to a batch of due pending deliveries with `FOR UPDATE SKIP LOCKED` (replicas
never take the same one), counts the attempt and moves `next_attempt_at` to the end of a lease:
no transaction is held across the HTTP call, and a replica killed while posting leaves the
delivery due again when the lease ends. An attempt is recorded only by the claim that made it
(the attempt number matches): delivered, pending again after a backoff, or dead.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import asyncpg

from app.db.event_tables import DeliveryState
from app.events.outbox import EVENT_FIELDS, Event

MAX_BACKOFF_SECONDS = 3600.0
CLAIM = (
    "WITH due AS (SELECT event_id, subscription FROM deliveries"
    " WHERE state = 'pending' AND next_attempt_at <= now()"
    " ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)"
    " UPDATE deliveries d SET attempts = d.attempts + 1,"
    " leased_until = now() + make_interval(secs => $2), next_attempt_at = now() + make_interval(secs => $2)"
    " FROM (due JOIN events e ON e.id = due.event_id)"
    " LEFT JOIN event_subscriptions s ON s.key = due.subscription"
    " WHERE d.event_id = due.event_id AND d.subscription = due.subscription"
    f" RETURNING {EVENT_FIELDS}, d.subscription, d.attempts, s.url, s.shown, s.format, s.secret_env"
)
RECORD = (
    "UPDATE deliveries SET state = $4, last_status = $5, last_error = $6, leased_until = NULL,"
    " next_attempt_at = now() + make_interval(secs => $7),"
    " delivered_at = CASE WHEN $4 = 'delivered' THEN now() END"
    " WHERE event_id = $1 AND subscription = $2 AND attempts = $3 AND state = 'pending'"
)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery claimed for one attempt: the event, where it goes, the attempt's number."""

    event: Event
    subscription: str
    attempt: int
    url: str | None  # None: the subscription is no longer configured
    shown: str | None
    format: str | None
    secret_env: str | None


@dataclass(frozen=True, slots=True)
class Attempt:
    """How an attempt went: the state it leaves the delivery in, the status, the error."""

    state: DeliveryState
    status: int | None = None
    error: str | None = None
    retry_in: float = 0.0


async def claim(connection: asyncpg.Connection, batch: int, lease_seconds: float) -> list[Claimed]:
    """Up to `batch` due deliveries, leased for `lease_seconds`, oldest due first."""
    rows = await connection.fetch(CLAIM, batch, lease_seconds)
    return [
        Claimed(
            Event.from_row(row),
            row["subscription"],
            row["attempts"],
            row["url"],
            row["shown"],
            row["format"],
            row["secret_env"],
        )
        for row in rows
    ]


async def record(connection: asyncpg.Connection, claimed: Claimed, attempt: Attempt) -> bool:
    """Record an attempt; False when another claim took the delivery over (lease expired)."""
    result = await connection.execute(
        RECORD, uuid.UUID(claimed.event.id), claimed.subscription, claimed.attempt,
        attempt.state.value, attempt.status, attempt.error and attempt.error[:1000], attempt.retry_in,
    )  # fmt: skip
    return result.endswith(" 1")


def backoff(base: float, attempt: int, *, rng: random.Random | None = None) -> float:
    """The wait after a failed attempt: base · 2^(attempt-1), ±50% jitter, at most an hour."""
    jitter: float = (rng or random).uniform(0.5, 1.5)
    return min(MAX_BACKOFF_SECONDS, base * 2.0 ** min(attempt - 1, 30) * jitter)


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """The seconds a `Retry-After` header asks to wait (delay-seconds or an HTTP date), at most
    MAX_BACKOFF_SECONDS; None when there is none or it cannot be read (a date past is 0)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return min(MAX_BACKOFF_SECONDS, float(text))
    try:
        at = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if at.tzinfo is None:  # an HTTP date is GMT
        at = at.replace(tzinfo=UTC)
    seconds = (at - (now or datetime.now(UTC))).total_seconds()
    return min(MAX_BACKOFF_SECONDS, max(0.0, seconds))


async def next_due_in(connection: asyncpg.Connection) -> float | None:
    """Seconds until the next pending delivery is due (0 if one is); None when none is pending."""
    value: float | None = await connection.fetchval(
        "SELECT extract(epoch FROM min(next_attempt_at) - now()) FROM deliveries"
        " WHERE state = 'pending'"
    )
    return None if value is None else max(0.0, float(value))
