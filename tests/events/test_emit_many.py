"""Events written together (a burst of runs started or ended): one statement, same outbox."""

from __future__ import annotations

import json

import asyncpg

from app.events.outbox import emit, emit_many
from tests.events.conftest import event_settings, subscribe


async def test_events_written_together_keep_their_order_ids_data_and_deliveries(
    pool: asyncpg.Pool, database_url: str
) -> None:
    notify = [
        {"url": "http://127.0.0.1:9/all", "types": ["*"]},
        {"url": "http://127.0.0.1:9/runs", "types": ["run.fail?d"], "format": "slack"},
    ]
    await subscribe(pool, event_settings(database_url, notify))
    events = [
        ("run.started", "run/1", {"runId": 1}),
        ("run.failed", "run/2", {"runId": 2, "reason": "exit code 3"}),
        ("run.succeeded", "run/3", {"runId": 3, "logTail": "x" * 10}),
    ]
    async with pool.acquire() as connection, connection.transaction():
        alone = await emit(connection, "run.started", "run/0", {"runId": 0})  # type: ignore[arg-type]
        ids = await emit_many(connection, events)  # type: ignore[arg-type]
        assert await emit_many(connection, []) == []  # type: ignore[arg-type]
    rows = await pool.fetch(
        "SELECT id::text, type, subject, data::text, source FROM events ORDER BY position"
    )
    assert [r["id"] for r in rows] == [alone, *ids]
    assert [(r["type"], r["subject"]) for r in rows[1:]] == [(t, s) for t, s, _ in events]
    assert [json.loads(r["data"]) for r in rows[1:]] == [d for _, _, d in events]
    assert {r["source"] for r in rows} == {"/ecoplane"}
    formats = await pool.fetch(
        "SELECT e.subject, array_agg(s.format ORDER BY s.format) AS formats FROM deliveries d"
        " JOIN events e ON e.id = d.event_id JOIN event_subscriptions s ON s.key = d.subscription"
        " GROUP BY e.subject ORDER BY e.subject"
    )
    assert [(r["subject"], r["formats"]) for r in formats] == [
        ("run/0", ["cloudevents"]), ("run/1", ["cloudevents"]),
        ("run/2", ["cloudevents", "slack"]), ("run/3", ["cloudevents"]),
    ]  # fmt: skip


async def test_events_written_together_roll_back_with_their_change(
    pool: asyncpg.Pool, database_url: str
) -> None:
    await subscribe(
        pool, event_settings(database_url, [{"url": "http://127.0.0.1:9/x", "types": ["*"]}])
    )
    async with pool.acquire() as connection:
        transaction = connection.transaction()
        await transaction.start()
        await emit_many(connection, [("run.failed", "run/1", {"runId": 1})] * 2)  # type: ignore[arg-type]
        await transaction.rollback()
    assert await pool.fetchval("SELECT count(*) FROM events") == 0
    assert await pool.fetchval("SELECT count(*) FROM deliveries") == 0
