"""The outbox and its delivery worker against real receivers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import asyncpg
import pytest

from app.db.urls import asyncpg_dsn
from app.events.deliveries import MAX_BACKOFF_SECONDS, claim, retry_after
from app.events.outbox import emit
from app.events.worker import DeliveryWorker
from app.settings import Settings
from tests.events.conftest import SECRET, event_settings, subscribe
from tests.jobs.conftest import until


@pytest.fixture
async def worker_for(
    pool: asyncpg.Pool, database_url: str
) -> AsyncIterator[Callable[[Settings], Any]]:
    """Start a delivery worker with these settings (subscriptions registered); stopped after."""
    started: list[DeliveryWorker] = []

    async def start(settings: Settings) -> DeliveryWorker:
        await subscribe(pool, settings)
        worker = DeliveryWorker(pool, asyncpg_dsn(database_url), settings, poll_seconds=0.5)
        await worker.start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        await worker.stop()


async def deliveries(pool: asyncpg.Pool, event_id: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT subscription, state, attempts, last_status, last_error FROM deliveries"
        " WHERE event_id = $1::uuid ORDER BY subscription",
        event_id,
    )
    return [dict(row) for row in rows]


async def settled(pool: asyncpg.Pool, event_id: str) -> list[dict[str, Any]]:
    """The deliveries of an event once none is pending (polled, bounded)."""

    async def check() -> list[dict[str, Any]] | None:
        found = await deliveries(pool, event_id)
        return found if found and all(d["state"] != "pending" for d in found) else None

    result: list[dict[str, Any]] = await until(check, f"deliveries of {event_id} settled")
    return result


async def emitted(pool: asyncpg.Pool, type_: str, data: dict[str, Any]) -> str:
    async with pool.acquire() as connection, connection.transaction():
        return await emit(connection, type_, "run/7", data)  # type: ignore[arg-type]


async def test_an_event_rolled_back_with_its_change_is_never_delivered(
    pool: asyncpg.Pool, database_url: str
) -> None:
    settings = event_settings(database_url, [{"url": "http://127.0.0.1:9/x", "types": ["*"]}])
    await subscribe(pool, settings)
    async with pool.acquire() as connection:
        transaction = connection.transaction()
        await transaction.start()
        await emit(connection, "run.failed", "run/1", {"runId": 1})  # type: ignore[arg-type]
        await transaction.rollback()
    assert await pool.fetchval("SELECT count(*) FROM events") == 0
    assert await pool.fetchval("SELECT count(*) FROM deliveries") == 0


async def test_deliveries_follow_the_type_globs_and_openlineage_only_when_named(
    pool: asyncpg.Pool, database_url: str
) -> None:
    notify = [
        {"url": "http://127.0.0.1:9/all", "types": ["*"]},
        {"url": "http://127.0.0.1:9/runs", "types": ["run.fail?d"], "format": "slack"},
    ]
    settings = event_settings(database_url, notify, openlineage_url="http://127.0.0.1:9/lineage")
    await subscribe(pool, settings)
    failed = await emitted(pool, "run.failed", {"runId": 7})
    started = await emitted(pool, "run.started", {"runId": 7})
    lineage = await emitted(pool, "openlineage.run", {"eventType": "START"})
    shown = {
        event: {
            row["format"]
            for row in await pool.fetch(
                "SELECT s.format FROM deliveries d JOIN event_subscriptions s ON s.key = d.subscription"
                " WHERE d.event_id = $1::uuid",
                event,
            )
        }
        for event in (failed, started, lineage)
    }
    assert shown == {
        failed: {"cloudevents", "slack"},
        started: {"cloudevents"},
        lineage: {"openlineage"},  # "*" does not name openlineage: it never gets them
    }


async def test_a_delivery_is_a_signed_cloudevent_posted_once_accepted(
    pool: asyncpg.Pool, database_url: str, receivers: Any, worker_for: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    receiver = await receivers()
    notify = [{"url": f"{receiver.url}/hook", "types": ["run.*"], "secretEnv": "HOOK_SECRET"}]
    await worker_for(event_settings(database_url, notify))
    event_id = await emitted(pool, "run.failed", {"runId": 7, "reason": "exit code 3"})
    assert [d["state"] for d in await settled(pool, event_id)] == ["delivered"]
    [request] = receiver.received
    body = json.loads(request.body)
    assert request.headers["Content-Type"] == "application/cloudevents+json"
    assert body["id"] == event_id and body["type"] == "io.ecoplane.run.failed"
    assert body["specversion"] == "1.0" and body["subject"] == "run/7"
    assert body["data"] == {"runId": 7, "reason": "exit code 3"}
    import hashlib
    import hmac

    expected = hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Ecoplane-Signature"] == f"sha256={expected}"


async def test_a_receiver_failing_twice_gets_the_event_on_the_third_attempt(
    pool: asyncpg.Pool, database_url: str, receivers: Any, worker_for: Any
) -> None:
    receiver = await receivers(answers=[503, 500])
    notify = [{"url": receiver.url, "types": ["run.*"]}]
    await worker_for(event_settings(database_url, notify, event_max_attempts=5))
    event_id = await emitted(pool, "run.succeeded", {"runId": 7})
    [delivery] = await settled(pool, event_id)
    assert (delivery["state"], delivery["attempts"], delivery["last_status"]) == (
        "delivered",
        3,
        200,
    )
    ids = {json.loads(r.body)["id"] for r in receiver.received}
    assert len(receiver.received) == 3 and ids == {event_id}  # the same id each time: deduplicable


async def test_a_receiver_always_failing_makes_a_dead_letter_and_one_error_line(
    pool: asyncpg.Pool, database_url: str, receivers: Any, worker_for: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    receiver = await receivers(otherwise=500)
    notify = [{"url": f"{receiver.url}/secret-path-token", "types": ["run.*"]}]
    caplog.set_level(logging.WARNING, "ecoplane.events")
    await worker_for(event_settings(database_url, notify, event_max_attempts=3))
    event_id = await emitted(pool, "run.failed", {"runId": 7})
    [delivery] = await settled(pool, event_id)
    assert (delivery["state"], delivery["attempts"], delivery["last_status"]) == ("dead", 3, 500)
    assert "receiver says no" in delivery["last_error"]

    async def error_lines() -> list[logging.LogRecord] | None:
        # the dead state is committed just before its line is written: wait for the line
        return [r for r in caplog.records if r.levelno == logging.ERROR] or None

    errors = await until(error_lines, "the dead letter's ERROR line")
    assert len(errors) == 1 and len(receiver.received) == 3
    line = errors[0]
    assert line.eventId == event_id and line.eventType == "run.failed"
    assert line.attempts == 3 and "secret-path-token" not in line.getMessage()


async def test_a_refusal_4xx_is_dead_at_once_but_429_is_retried(
    pool: asyncpg.Pool, database_url: str, receivers: Any, worker_for: Any
) -> None:
    refusing = await receivers(otherwise=400)
    busy = await receivers(answers=[429])
    notify = [{"url": refusing.url, "types": ["run.*"]}, {"url": busy.url, "types": ["run.*"]}]
    await worker_for(event_settings(database_url, notify))
    event_id = await emitted(pool, "run.failed", {"runId": 7})
    found = {(d["state"], d["attempts"], d["last_status"]) for d in await settled(pool, event_id)}
    assert found == {("dead", 1, 400), ("delivered", 2, 200)}


async def test_a_claim_whose_replica_died_is_claimed_again_after_its_lease(
    pool: asyncpg.Pool, database_url: str
) -> None:
    await subscribe(
        pool, event_settings(database_url, [{"url": "http://127.0.0.1:9", "types": ["*"]}])
    )
    event_id = await emitted(pool, "run.failed", {"runId": 7})
    async with pool.acquire() as connection:
        # then the replica is gone: nothing recorded; leased, nobody else takes it meanwhile
        [first] = await claim(connection, 10, 0.3)  # type: ignore[arg-type]
        assert await claim(connection, 10, 0.3) == []  # type: ignore[arg-type]

        async def again() -> Any:
            return await claim(connection, 10, 30)  # type: ignore[arg-type]

        [second] = await until(again, "the delivery claimable again after its lease")
    assert first.event.id == second.event.id == event_id
    assert (first.attempt, second.attempt) == (1, 2)


async def test_a_slack_delivery_says_what_failed_where_with_a_link(
    pool: asyncpg.Pool, database_url: str, receivers: Any, worker_for: Any
) -> None:
    receiver = await receivers()
    notify = [{"url": receiver.url, "types": ["run.failed"], "format": "slack"}]
    settings = event_settings(database_url, notify, public_url="https://ecoplane.example")
    await worker_for(settings)
    data = {"runId": 7, "kind": "transformer", "target": "Daily<Sales>", "exitCode": 3,
            "reason": "exit code 3", "logTail": "Traceback: boom"}  # fmt: skip
    event_id = await emitted(pool, "run.failed", data)
    await settled(pool, event_id)
    message = json.loads(receiver.received[0].body)
    assert "transformer run of Daily&lt;Sales&gt; failed (exit code 3)" in message["text"]
    assert "<https://ecoplane.example/api/v1/runs/7|run 7>" in message["text"]
    section = message["blocks"][0]["text"]["text"]
    assert "Traceback: boom" in section and event_id in json.dumps(message["blocks"][1])


CLOCK_SLACK = 0.01  # seconds two clocks of this machine may drift apart over a few seconds


async def test_a_429_with_retry_after_seconds_waits_at_least_that_long(
    pool: asyncpg.Pool, database_url: str, receivers: Any, worker_for: Any
) -> None:
    receiver = await receivers(answers=[(429, {"Retry-After": "2"})])
    notify = [{"url": receiver.url, "types": ["run.*"]}]
    await worker_for(event_settings(database_url, notify))  # a backoff of 0.01 s otherwise
    event_id = await emitted(pool, "run.failed", {"runId": 7})
    [delivery] = await settled(pool, event_id)
    assert (delivery["state"], delivery["attempts"]) == ("delivered", 2)
    first, second = receiver.received
    # as the receiver asked, not the 0.01 s backoff; the wait is timed on the database's clock
    # (next_attempt_at = now() + 2 s) and measured here on Python's monotonic one, which may
    # run apart by NTP's slew of up to 500 ppm: 1 ms over 2 s (a CI run saw 1.999 s)
    assert second.at - first.at >= 2.0 - CLOCK_SLACK


async def test_a_503_with_an_http_date_waits_until_then_and_a_huge_one_is_capped(
    pool: asyncpg.Pool, database_url: str, receivers: Any, worker_for: Any
) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    dated = await receivers(answers=[(503, {"Retry-After": later})])
    huge = await receivers(answers=[(503, {"Retry-After": "86400000"})])
    notify = [{"url": dated.url, "types": ["run.*"]}, {"url": huge.url, "types": ["run.*"]}]
    await worker_for(event_settings(database_url, notify))
    event_id = await emitted(pool, "run.failed", {"runId": 7})

    async def both_told() -> list[Any] | None:
        rows = await pool.fetch(
            "SELECT d.last_error, extract(epoch FROM d.next_attempt_at - now()) AS wait"
            " FROM deliveries d WHERE event_id = $1::uuid AND last_status = 503"
            " ORDER BY d.next_attempt_at",
            event_id,
        )
        return list(rows) if len(rows) == 2 else None

    dated_row, huge_row = await until(both_told, "both 503s recorded")
    assert 100 < dated_row["wait"] <= 120  # until the date, not the 0.01 s backoff
    assert f"Retry-After: {later}" in dated_row["last_error"]
    assert MAX_BACKOFF_SECONDS - 20 < huge_row["wait"] <= MAX_BACKOFF_SECONDS  # capped
    assert len(dated.received) == len(huge.received) == 1  # nobody was asked again meanwhile


def test_retry_after_reads_seconds_and_dates_and_ignores_the_rest() -> None:
    now = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    assert retry_after("30", now) == 30.0
    assert retry_after("Thu, 03 Dec 2026 09:01:30 GMT", now) == 90.0
    assert retry_after("Thu, 03 Dec 2026 08:00:00 GMT", now) == 0.0  # a date past: at once
    assert retry_after("999999", now) == MAX_BACKOFF_SECONDS
    assert retry_after("soon", now) is None and retry_after(None, now) is None
    assert retry_after("-5", now) is None


async def test_a_stop_that_meets_a_wake_stops_the_worker(
    worker_for: Callable[[Settings], Any], database_url: str
) -> None:
    """Python 3.11's asyncio.wait_for returned the inner wait's result when the cancel came in
    the same loop turn as it finished: the stop's cancel was swallowed, the delivery loop went
    on for ever, and the service's shutdown waited for it (seen once in CI, in a test's
    teardown). The worker waits with asyncio.timeout now."""
    worker = await worker_for(event_settings(database_url, []))
    (delivery,) = [task for task in worker.tasks if task.get_name() == "event-delivery"]

    async def waiting() -> bool:
        return bool(worker.wake._waiters)  # the loop waits for a wake or its poll

    await until(waiting, "the delivery loop waits")
    worker.wake.set()  # an event came...
    delivery.cancel()  # ...as the service stopped
    done, _ = await asyncio.wait({delivery}, timeout=10)
    assert delivery in done and delivery.cancelled()
