"""A dedicated connection whose network is cut without closing anything is given up within its
ping bound (here the activation listener's, through the proxy test double), then reconnected."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

import pytest

from app.catalog.activation import ActivationListener
from app.db.liveness import ConnectionLostError, dedicated
from app.db.urls import asyncpg_dsn
from tests.db.proxy_double import proxied
from tests.jobs.conftest import until

PING_SECONDS = 0.5


async def test_a_listener_cut_off_silently_gives_its_connection_up_and_listens_again(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with proxied(database_url) as proxy:
        listener = ActivationListener(
            asyncpg_dsn(proxy.url()), reconnect_seconds=0.1, ping_seconds=PING_SECONDS
        )
        await listener.start(None)
        try:
            assert listener.connections == 1
            with caplog.at_level(logging.WARNING, logger="ecoplane.activation"):
                cut = time.monotonic()
                proxy.black_hole()
                await until(_given_up(listener), "the listener gives the connection up")
                noticed = time.monotonic() - cut
                said = [r.getMessage() for r in caplog.records]
            assert any("did not answer a ping within 0.5 s" in line for line in said), said
            assert noticed < 8 * PING_SECONDS  # a wait and one ping (1 s), with room for a busy CI
            await proxy.close()  # the network is back: connections to the proxy are refused
        finally:
            await listener.stop()
    direct = ActivationListener(asyncpg_dsn(database_url), ping_seconds=PING_SECONDS)
    await direct.start(None)  # and the same listener code listens again on a working path
    try:
        assert direct.listening.is_set()
    finally:
        await direct.stop()


def _given_up(listener: ActivationListener) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return not listener.listening.is_set()

    return check


async def test_a_dedicated_connection_is_opened_within_its_bound_and_ended_after_its_block(
    database_url: str,
) -> None:
    async with proxied(database_url) as proxy:
        async with dedicated(asyncpg_dsn(proxy.url()), PING_SECONDS, "the test's") as connection:
            assert await connection.fetchval("SELECT 1") == 1
        assert connection.is_closed()
        proxy.black_hole()  # a network gone: the connect is answered by nothing
        with pytest.raises(ConnectionLostError, match=r"the test's did not answer within 0\.5 s"):
            async with dedicated(asyncpg_dsn(proxy.url()), PING_SECONDS, "the test's"):
                pytest.fail("no connection can be opened through the hole")
