"""Failover within ECOPLANE_FAILOVER_SECONDS: the leader's network stops carrying packets
without closing a socket (the proxy test double black-holes it); the other replica leads within
the bound, and the cut-off one has stopped scheduling before that."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from app.catalog.store import StoredVersion
from app.db.urls import asyncpg_dsn
from app.jobs.leader import APPLICATION_NAME, Failover
from app.main import create_app
from app.resources import Resources
from app.settings import Settings
from tests.db.proxy_double import ProxyDouble, proxied
from tests.jobs.conftest import until

FAILOVER_SECONDS = 10.0  # the bound under test (the default is 30; the rules scale with it)
RETRY_SECONDS = 0.5


@asynccontextmanager
async def replica(url: str, directory: Path) -> AsyncIterator[Resources]:
    """A started service taking part in the election with the bound under test."""
    settings = Settings(
        database_url=url, data_dir=directory, leader_retry_seconds=RETRY_SECONDS,
        failover_seconds=FAILOVER_SECONDS,
    )  # fmt: skip
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app.state.resources


async def test_a_leader_cut_off_silently_is_replaced_within_the_failover_bound(
    database_url: str,
    stored: StoredVersion,
    pool: asyncpg.Pool,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with proxied(database_url) as proxy, replica(proxy.url(), tmp_path / "a") as a:
        try:
            await until(lambda: _true(a.scheduler.leading), "replica A (through the proxy) leads")
            async with replica(database_url, tmp_path / "b") as b:
                stepped_down, led = await _cut_off(a, b, proxy, pool)
        finally:
            await proxy.close()  # the network comes back as resets: A's connections end
    with capsys.disabled():
        print(
            f"\nfailover (bound {FAILOVER_SECONDS:g} s): A stopped leading after"
            f" {stepped_down:.1f} s, B led after {led:.1f} s"
        )
    assert stepped_down < led <= FAILOVER_SECONDS  # within the bound, never two leaders


async def _cut_off(
    a: Resources, b: Resources, proxy: ProxyDouble, pool: asyncpg.Pool
) -> tuple[float, float]:
    """Black-hole A's network once B campaigns: when A stopped leading, when B led (seconds)."""
    await until(lambda: _true(b.election.tries >= 2), "replica B campaigns")
    assert a.scheduler.leading and not b.election.leading.is_set()
    holder = await pool.fetchval(
        "SELECT application_name FROM pg_stat_activity WHERE pid = $1", a.election.backend_pid
    )
    assert holder == APPLICATION_NAME
    cut = time.monotonic()
    proxy.black_hole()
    stepped_down: float | None = None
    while not b.election.leading.is_set():
        if stepped_down is None and not a.election.leading.is_set():
            stepped_down = time.monotonic() - cut
        assert time.monotonic() - cut < 3 * FAILOVER_SECONDS, "replica B never led"
        await asyncio.sleep(0.05)  # a bounded poll
    led = time.monotonic() - cut
    assert not a.election.leading.is_set() and not a.scheduler.leading
    assert stepped_down is not None
    await until(lambda: _true(b.scheduler.leading), "replica B schedules")
    return stepped_down, led


async def _true(value: bool) -> bool:
    return value


async def test_the_server_accepts_the_lock_sessions_time_limits(database_url: str) -> None:
    rules = Failover(30).server_settings()
    connection = await asyncpg.connect(asyncpg_dsn(database_url), server_settings=rules)
    try:
        shown = {
            name: await connection.fetchval(f"SHOW {name}")
            for name in ("idle_session_timeout", "statement_timeout", "application_name")
        }
    finally:
        await connection.close()
    # the server ends the session 15 s after the leader's last ping (one every 3 s)
    assert shown == {
        "idle_session_timeout": "15s", "statement_timeout": "3s",
        "application_name": APPLICATION_NAME,
    }  # fmt: skip
