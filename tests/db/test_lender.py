"""The read lender (app/db/lender.py): connections lent again without the pool, given back to it
when they cannot be vouched for, in arrival order, replaced after an expiry."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from app.db.lender import ReadLender
from app.db.urls import asyncpg_dsn
from tests.jobs.conftest import until

BACKEND = "SELECT pg_backend_pid()"


async def test_a_connection_given_back_is_lent_again_as_it_is(lender: ReadLender) -> None:
    async with lender.lend() as connection:
        first = await connection.fetchval(BACKEND)
    assert len(lender.idle) == 1 and lender.pool.get_idle_size() == 0  # kept, not in the pool
    async with lender.lend() as connection:
        assert await connection.fetchval(BACKEND) == first
        assert lender.idle == []  # lent


async def test_a_failed_block_gives_its_connection_back_to_the_pool(lender: ReadLender) -> None:
    with pytest.raises(ZeroDivisionError):
        async with lender.lend() as connection:
            await connection.fetchval("SELECT 1")
            1 / 0  # noqa: B018
    assert lender.idle == [] and lender.pool.get_idle_size() == 1


async def test_a_connection_left_in_a_transaction_goes_back_to_the_pool(
    lender: ReadLender,
) -> None:
    async with lender.lend() as connection:
        await connection.execute("BEGIN")
        await connection.execute("SET LOCAL statement_timeout = '5s'")
    assert lender.idle == []  # the pool's reset rolls it back
    async with lender.lend() as connection:
        assert not connection.is_in_transaction()
        assert await connection.fetchval("SHOW statement_timeout") == "0"


async def test_after_an_expiry_every_connection_is_replaced(lender: ReadLender) -> None:
    async with lender.lend() as kept:
        old = {await kept.fetchval(BACKEND)}
    async with lender.lend() as lent:
        old.add(await lent.fetchval(BACKEND))  # the kept one, lent again
        async with lender.lend() as other:
            old.add(await other.fetchval(BACKEND))
            await lender.expire()  # two lent while their connections expire
        assert lender.idle == []  # given back to the pool, not kept
    assert lender.idle == []
    async with lender.lend() as first, lender.lend() as second:
        fresh = {await first.fetchval(BACKEND), await second.fetchval(BACKEND)}
    assert len(old) == 2 and fresh.isdisjoint(old)


async def test_requests_wait_for_a_connection_in_arrival_order(lender: ReadLender) -> None:
    order: list[str] = []
    held = asyncio.Event()

    async def read(name: str) -> None:
        async with lender.lend() as connection:
            order.append(name)  # the turn it got
            await connection.fetchval("SELECT 1")
            await held.wait()

    first = [asyncio.create_task(read(name)) for name in ("a", "b")]
    while len(order) < 2:  # both connections lent
        await asyncio.sleep(0)
    waiting = [asyncio.create_task(read(name)) for name in ("c", "d", "e")]
    await asyncio.sleep(0)
    assert lender.turns.locked() and order == ["a", "b"]  # the others wait their turn
    held.set()
    await asyncio.gather(*first, *waiting)
    assert order == ["a", "b", "c", "d", "e"]
    assert len(lender.idle) == 2  # and at most as many kept as may be lent at once


async def test_the_kept_connections_go_back_before_the_pool_closes(lender: ReadLender) -> None:
    async with lender.lend() as first, lender.lend() as second:
        assert await first.fetchval("SELECT 1") == await second.fetchval("SELECT 1") == 1
    assert len(lender.idle) == 2 and lender.pool.get_idle_size() == 0
    await lender.release_kept()
    assert lender.idle == [] and lender.pool.get_idle_size() == 2


async def test_a_kept_connection_the_server_ended_is_not_lent_again(
    lender: ReadLender, database_url: str
) -> None:
    async with lender.lend() as connection:
        ended = await connection.fetchval(BACKEND)
    admin = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", ended)
    finally:
        await admin.close()

    async def noticed() -> bool:  # the kept connection has read the server's goodbye
        return lender.idle[0].is_closed() if getattr(lender.idle[0], "_con", None) else True

    await until(noticed, "the kept connection noticed its end")
    async with asyncio.timeout(30), lender.lend() as first, lender.lend() as second:
        fresh = {await first.fetchval(BACKEND), await second.fetchval(BACKEND)}
    assert ended not in fresh and len(fresh) == 2  # fresh ones; both of the pool's two places


async def test_closing_gives_the_kept_connections_back_and_closes_the_pool(
    database_url: str,
) -> None:
    lender = await ReadLender.opened(database_url, 2)
    async with lender.lend() as connection:
        await connection.fetchval(BACKEND)
    assert len(lender.idle) == 1 and lender.pool.get_max_size() == 2
    async with asyncio.timeout(10):  # asyncpg's close waits for every connection it lent out
        await lender.close()
    assert lender.idle == [] and lender.pool.is_closing()
