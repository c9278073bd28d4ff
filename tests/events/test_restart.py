"""A real `ecoplane serve` killed with SIGKILL while posting an event delivers it after a restart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from app.events.outbox import emit
from tests.api.server import free_port
from tests.events.conftest import event_settings, subscribe
from tests.jobs.conftest import until


@contextmanager
def serving(env: dict[str, str], log: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`ecoplane serve` on a free loopback port; killed (SIGKILL) at the end if still running."""
    port = free_port()
    with log.open("a") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            env={**os.environ, **env}, stdout=output, stderr=output,
        )  # fmt: skip
        try:
            yield server, f"http://127.0.0.1:{port}"
        finally:
            if server.poll() is None:
                server.kill()
            server.wait(timeout=60)


async def ready(base: str) -> None:
    async def check() -> bool:
        try:
            async with httpx.AsyncClient() as client:
                return (await client.get(f"{base}/healthz", timeout=1)).status_code == 200
        except httpx.TransportError:
            return False

    await until(check, f"{base} ready")


async def test_killed_mid_delivery_the_event_is_delivered_after_restart(
    database_url: str, pool: asyncpg.Pool, receivers: Any, tmp_path: Path
) -> None:
    receiver = await receivers(hang=1)  # the first request never gets an answer
    notify = [{"url": f"{receiver.url}/hook", "types": ["run.*"]}]
    env = {
        "ECOPLANE_DATABASE_URL": database_url, "ECOPLANE_NOTIFY": json.dumps(notify),
        "ECOPLANE_EVENT_TIMEOUT_SECONDS": "2", "ECOPLANE_SCHEDULER": "false",
        "ECOPLANE_DATA_DIR": str(tmp_path / "data"),
    }  # fmt: skip
    log = tmp_path / "serve.log"
    with serving(env, log) as (server, base):
        await ready(base)
        await subscribe(pool, event_settings(database_url, notify))  # as the service has
        async with pool.acquire() as connection, connection.transaction():
            event_id = await emit(connection, "run.failed", "run/7", {"runId": 7})  # type: ignore[arg-type]

        async def posting() -> bool:
            return len(receiver.received) == 1

        await until(posting, "the service posting the event")
        server.send_signal(signal.SIGKILL)  # mid-delivery: the receiver has not answered
        server.wait(timeout=30)
    state = await pool.fetchrow(
        "SELECT state, attempts FROM deliveries WHERE event_id = $1::uuid", event_id
    )
    assert state is not None and (state["state"], state["attempts"]) == (
        "pending",
        1,
    )  # claimed, never recorded
    with serving(env, log) as (_, base):
        await ready(base)

        async def delivered() -> Any:
            return await pool.fetchrow(
                "SELECT attempts, last_status FROM deliveries WHERE event_id = $1::uuid"
                " AND state = 'delivered'",
                event_id,
            )

        found = await until(delivered, "the event delivered after the restart")
    assert (found["attempts"], found["last_status"]) == (2, 200)
    ids = [json.loads(request.body)["id"] for request in receiver.received]
    assert ids == [event_id, event_id]  # the same id: the receiver may deduplicate
