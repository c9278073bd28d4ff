"""The signature check of docs/events.md, run exactly as written, against a real delivery."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from app.db.urls import asyncpg_dsn
from app.events.outbox import emit
from app.events.worker import DeliveryWorker
from tests.events.conftest import SECRET, event_settings, subscribe
from tests.jobs.conftest import until

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def snippet() -> Any:
    """The `verified` function of the doc's Python block."""
    [code] = [
        b for b in re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S) if "def verified" in b
    ]
    namespace: dict[str, Any] = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # the doc's code, as a receiver copies it
    return namespace["verified"]


async def test_the_documented_check_accepts_a_real_delivery_and_refuses_a_forgery(
    pool: asyncpg.Pool, database_url: str, receivers: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    receiver = await receivers()
    settings = event_settings(
        database_url, [{"url": receiver.url, "types": ["*"], "secretEnv": "HOOK_SECRET"}]
    )
    await subscribe(pool, settings)
    worker = DeliveryWorker(pool, asyncpg_dsn(database_url), settings, poll_seconds=0.5)
    await worker.start()
    try:
        async with pool.acquire() as connection, connection.transaction():
            await emit(connection, "run.succeeded", "run/3", {"runId": 3})  # type: ignore[arg-type]

        async def arrived() -> bool:
            return bool(receiver.received)

        await until(arrived, "the delivery arrived")
    finally:
        await worker.stop()
    verified = snippet()
    request = receiver.received[0]
    header = request.headers["X-Ecoplane-Signature"]
    assert verified(SECRET, request.body, header)
    assert not verified("another secret", request.body, header)
    assert not verified(SECRET, request.body.replace(b'"runId":3', b'"runId":4'), header)
