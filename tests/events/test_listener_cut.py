"""The delivery worker's LISTEN connection, cut off without a close (a network gone), is given
up within its ping bound and a new one tried, like the activation listener's (proxy test double)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest

from app.db.urls import asyncpg_dsn
from app.events import worker as delivery
from tests.db.proxy_double import ProxyDouble, proxied
from tests.events.conftest import event_settings
from tests.jobs.conftest import until


@asynccontextmanager
async def _worker(
    pool: asyncpg.Pool, database_url: str, proxy: ProxyDouble
) -> AsyncIterator[delivery.DeliveryWorker]:
    """A delivery worker listening through the proxy, pinging every 0.5 s, for the block."""
    worker = delivery.DeliveryWorker(
        pool, asyncpg_dsn(proxy.url()), event_settings(database_url, []), poll_seconds=0.5
    )
    await worker.start()
    try:
        yield worker
    finally:
        await worker.stop()


def _said(caplog: pytest.LogCaptureFixture, words: str) -> list[str] | None:
    """The log lines so far that hold these words; None without one."""
    return [r.getMessage() for r in caplog.records if words in r.getMessage()] or None


@pytest.fixture(autouse=True)
def _quick_pings(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delivery, "LISTEN_PING_SECONDS", 0.5)
    caplog.set_level(logging.WARNING, "ecoplane.events")


async def test_a_listener_cut_off_silently_is_given_up_and_listens_again(
    pool: asyncpg.Pool, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with proxied(database_url) as proxy, _worker(pool, database_url, proxy) as worker:

        async def listening() -> bool:  # not merely connecting: a hole then is a connect's
            return worker.listening.is_set()

        await until(listening, "the worker listens through the proxy")
        assert proxy.connections == 1
        proxy.black_hole()

        async def given_up() -> list[str] | None:
            return _said(caplog, "did not answer a ping within 0.5 s")

        [line] = (await until(given_up, "the listener gives its connection up"))[:1]
        assert line.startswith("the event listener lost its connection")

        async def tried_again() -> bool:
            return proxy.connections >= 2

        await until(tried_again, "the worker tries a new connection")


async def test_a_listener_whose_network_is_gone_before_it_listens_says_so_and_tries_again(
    pool: asyncpg.Pool, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with proxied(database_url) as proxy:
        proxy.black_hole()  # connections are accepted and never answered
        async with _worker(pool, database_url, proxy) as worker:

            async def given_up() -> list[str] | None:
                return _said(caplog, "did not answer within 0.5 s")

            [line] = (await until(given_up, "the listener gives its connecting up"))[:1]
            assert line == (
                "the event listener lost its connection: "
                "the event listener's connection did not answer within 0.5 s"
            )

            async def tried_again() -> bool:
                return proxy.connections >= 2

            await until(tried_again, "the worker tries a new connection")
            assert not worker.listening.is_set()
