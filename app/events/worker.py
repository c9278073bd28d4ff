"""The delivery worker: every replica posts the due deliveries of the outbox, with retries.

It wakes on `NOTIFY ecoplane_events` (sent when an emitting transaction commits) or when the
next retry is due, at the latest every POLL_SECONDS; idle, it costs one small query per poll.
Each claim takes a small batch under a lease (`app.events.deliveries`); posts run concurrently
(at most CONCURRENCY at a time), each bounded by ECOPLANE_EVENT_TIMEOUT_SECONDS. A 2xx answer
delivers; 408, 425, 429, a 5xx or no answer is retried after an exponential backoff with
jitter, until ECOPLANE_EVENT_MAX_ATTEMPTS attempts, then dead; a 429 or 503 with `Retry-After`
(seconds or an HTTP date) waits at least that long (at most the backoff's cap, an hour); any
other 4xx is dead at once (the receiver refuses this request: sending it again will not change
that). A dead letter is one
ERROR line with the event's id and type, the url (host only), attempts and the last error.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import os
import time
from collections.abc import AsyncIterator
from typing import cast

import asyncpg
import httpx

from app.db.event_tables import DeliveryState
from app.db.liveness import answered_within, dedicated, watch
from app.db.outage import DRIVER_ERRORS
from app.events.deliveries import (
    Attempt,
    Claimed,
    backoff,
    claim,
    next_due_in,
    record,
    retry_after,
)
from app.events.formats import FORMATS, Context
from app.events.metrics import OutboxMetrics
from app.events.outbox import CHANNEL, prune
from app.settings import Settings

BATCH, CONCURRENCY = 16, 8
POLL_SECONDS = 30.0
LISTEN_PING_SECONDS = 10.0  # a listener cut off without a close (a network gone) is given up
LEASE_MARGIN_SECONDS = 5.0  # a lease outlasts the post's timeout by this much
PRUNE_SECONDS = 3600.0
RETRIED_STATUSES = frozenset({408, 425, 429})
WAIT_AS_TOLD = frozenset({429, 503})  # their Retry-After is a lower bound of the next wait
SIGNATURE = "X-Ecoplane-Signature"
log = logging.getLogger("ecoplane.events")


@contextlib.asynccontextmanager
async def acquired(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the pool (its proxy forwards every method)."""
    async with pool.acquire() as connection:
        yield cast(asyncpg.Connection, connection)


def signature(secret: str, body: bytes) -> str:
    """The X-Ecoplane-Signature of a body: `sha256=` and the hex HMAC-SHA256 with the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class DeliveryWorker:
    """Posts the outbox's due deliveries until stopped."""

    def __init__(
        self, pool: asyncpg.Pool, dsn: str, settings: Settings, *,
        metrics: OutboxMetrics | None = None, poll_seconds: float = POLL_SECONDS,
    ) -> None:  # fmt: skip
        self.pool, self.dsn, self.settings = pool, dsn, settings
        self.metrics = metrics
        self.poll_seconds = poll_seconds
        self.context = Context(settings.public_url)
        self.lease = settings.event_timeout_seconds + LEASE_MARGIN_SECONDS
        self.wake = asyncio.Event()
        self.listening = asyncio.Event()  # set while a LISTEN connection is open and watched
        self.limit = asyncio.Semaphore(CONCURRENCY)
        self.tasks: list[asyncio.Task[None]] = []
        self.client: httpx.AsyncClient | None = None
        self.pruned_at = 0.0

    async def start(self) -> None:
        """Listen for new events and deliver."""
        timeout = httpx.Timeout(self.settings.event_timeout_seconds)
        self.client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        self.tasks = [
            asyncio.create_task(self._listen(), name="event-listener"),
            asyncio.create_task(self._run(), name="event-delivery"),
        ]

    async def stop(self) -> None:
        """Stop; a delivery being posted stays leased and is posted again after its lease."""
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks = []
        if self.client is not None:
            await self.client.aclose()

    async def _listen(self) -> None:
        while True:
            try:
                await self._listen_once()
            except DRIVER_ERRORS as error:
                log.warning("the event listener lost its connection: %s", error)
            await asyncio.sleep(2.0)

    async def _listen_once(self) -> None:
        what, every = "the event listener's connection", LISTEN_PING_SECONDS
        async with dedicated(self.dsn, every, what) as connection:
            async with answered_within(every, what):
                await connection.add_listener(CHANNEL, lambda *_: self.wake.set())
            self.wake.set()  # events emitted while nobody listened
            self.listening.set()
            try:
                await watch(connection, every, what)
            finally:
                self.listening.clear()

    async def _run(self) -> None:
        while True:
            self.wake.clear()
            wait = self.poll_seconds
            try:
                if await self.deliver_due() >= BATCH:
                    continue
                await self._prune()
                async with acquired(self.pool) as connection:
                    due = await next_due_in(connection)
                wait = self.poll_seconds if due is None else min(due, self.poll_seconds)
            except DRIVER_ERRORS as error:
                log.warning("event delivery could not read the outbox: %s", error)
            if wait > 0:  # not wait_for: on 3.11 it swallows a cancel that meets the wake
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self.wake.wait()

    async def _prune(self) -> None:
        if time.monotonic() - self.pruned_at < PRUNE_SECONDS:
            return
        self.pruned_at = time.monotonic()
        async with acquired(self.pool) as connection:
            deleted = await prune(connection, self.settings.event_retention_days)
        if deleted:
            log.info("deleted %s events older than the retention", deleted)

    async def deliver_due(self) -> int:
        """Claim a batch of due deliveries and make one attempt at each; how many were claimed."""
        async with acquired(self.pool) as connection:
            claimed = await claim(connection, BATCH, self.lease)
        await asyncio.gather(*(self._deliver(one) for one in claimed))
        return len(claimed)

    async def _deliver(self, claimed: Claimed) -> None:
        async with self.limit:
            attempt = await self._attempt(claimed)
        async with acquired(self.pool) as connection:
            recorded = await record(connection, claimed, attempt)
        if not recorded:
            return  # its lease ran out and another claim took it over: that one records
        ids = {
            "eventId": claimed.event.id, "eventType": claimed.event.type, "url": claimed.shown,
            "attempts": claimed.attempt, "status": attempt.status, "error": attempt.error,
        }  # fmt: skip
        outcome = {DeliveryState.DELIVERED: "delivered", DeliveryState.DEAD: "dead"}.get(
            attempt.state, "retried"
        )
        if self.metrics is not None:
            self.metrics.attempts.labels(outcome).inc()
        if attempt.state is DeliveryState.DEAD:
            log.error(
                "event %s (%s) was not delivered to %s after %s attempt(s): %s",
                claimed.event.id, claimed.event.type, claimed.shown, claimed.attempt,
                attempt.error, extra=ids,
            )  # fmt: skip
        elif attempt.state is DeliveryState.PENDING:
            log.warning(
                "event %s (%s) to %s failed (attempt %s), retried in %.1fs: %s",
                claimed.event.id, claimed.event.type, claimed.shown, claimed.attempt,
                attempt.retry_in, attempt.error, extra=ids,
            )  # fmt: skip

    async def _attempt(self, claimed: Claimed) -> Attempt:
        """Post the delivery once; how it went."""
        if claimed.url is None or claimed.format not in FORMATS:
            return Attempt(DeliveryState.DEAD, error="its subscription is no longer configured")
        posted = FORMATS[claimed.format](claimed.event, self.context)
        if posted is None:  # nothing to send for this type in this format
            return Attempt(DeliveryState.DELIVERED)
        body, headers = posted
        headers = {**headers, "User-Agent": "ecoplane", "X-Ecoplane-Event-Id": claimed.event.id}
        if claimed.secret_env:
            secret = os.environ.get(claimed.secret_env)
            if not secret:
                return self._failed(
                    claimed, None, f"{claimed.secret_env} is not set on this replica"
                )
            headers[SIGNATURE] = signature(secret, body)
        assert self.client is not None
        try:
            async with self.client.stream(
                "POST", claimed.url, content=body, headers=headers
            ) as answer:
                status = answer.status_code
                said = await _start_of(answer) if not answer.is_success else ""
                told = answer.headers.get("Retry-After") if status in WAIT_AS_TOLD else None
        except httpx.HTTPError as error:
            return self._failed(claimed, None, f"{type(error).__name__}: {error}".rstrip(": "))
        if 200 <= status < 300:
            return Attempt(DeliveryState.DELIVERED, status)
        refusal = f"HTTP {status}{': ' + said if said else ''}"
        if 400 <= status < 500 and status not in RETRIED_STATUSES:
            return Attempt(DeliveryState.DEAD, status, f"{refusal} (refused: not retried)")
        asked = retry_after(told)
        if asked is not None:
            refusal += f" (Retry-After: {told})"
        return self._failed(claimed, status, refusal, asked or 0.0)

    def _failed(
        self, claimed: Claimed, status: int | None, error: str, at_least: float = 0.0
    ) -> Attempt:
        """Retried after a backoff (at least `at_least`, a Retry-After), or dead after the last
        attempt."""
        if claimed.attempt >= self.settings.event_max_attempts:
            return Attempt(DeliveryState.DEAD, status, error)
        wait = backoff(self.settings.event_backoff_seconds, claimed.attempt)
        return Attempt(DeliveryState.PENDING, status, error, max(wait, at_least))


async def _start_of(answer: httpx.Response, limit: int = 200) -> str:
    """The first characters of an answer's body (an error's explanation), read no further."""
    chunks = b""
    async for chunk in answer.aiter_bytes():
        chunks += chunk
        if len(chunks) >= limit:
            break
    return chunks[:limit].decode(errors="replace").strip()
