"""Pooled connections that died under the service: the next requests still answer 200.

`pg_terminate_backend` of every backend of the database (what a failover of a managed database,
or an operator, does) and connections a network forgot (the proxy test double severs them: the
service learns only when it sends) must cost no 500: reads are retried once on fresh
connections, and the leader and the activation listener connect again by themselves.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import store_model
from app.db.urls import asyncpg_dsn
from app.main import create_app
from app.resources import Resources
from app.settings import Settings
from tests.db.proxy_double import proxied
from tests.jobs.conftest import until
from tests.jobs.model import jobs_model

TERMINATE_OTHERS = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
)
READS = ("/api/v1/datastores", "/api/v1/ecosystem", "/api/v1/model-versions", "/api/v1/workspaces")


@asynccontextmanager
async def served(url: str, directory: Path) -> AsyncIterator[tuple[Resources, httpx.AsyncClient]]:
    """The service (its lifespan ran) on this database, and a client of it (ASGI, in process)."""
    settings = Settings(
        database_url=url, data_dir=directory, anonymous_read=True, leader_retry_seconds=0.1,
        active_version_seconds=0, answer_cache_mb=0,  # every read goes to the database
    )  # fmt: skip
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        indexes = app.state.resources.search_indexes  # PostgreSQL 15 has pg_trgm: they are made
        await asyncio.gather(*indexes.building)  # first, not on the connections the test kills
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ecoplane") as client:
            yield app.state.resources, client


async def _warm(client: httpx.AsyncClient) -> None:
    """Reads at once that fill the read pool with open connections (one after the other, they
    would all be answered on the one connection the read lender keeps)."""
    answers = await asyncio.gather(*(client.get(path) for path in READS * 3))
    assert [a.status_code for a in answers] == [200] * len(answers)


async def test_requests_after_every_backend_was_terminated_answer_200(
    database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    await store_model(engine, jobs_model(), source="outage-test")
    async with served(database_url, tmp_path) as (res, client):
        await _warm(client)
        await until(lambda: _true(res.election.leading.is_set()), "the service leads")
        listened, terms = res.activation.connections, res.election.terms
        admin = await asyncpg.connect(asyncpg_dsn(database_url))
        try:
            terminated = await admin.fetchval(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            answers = [(await client.get(path)).status_code for path in READS * 3]
            assert answers == [200] * len(answers)
        finally:
            await admin.close()
        assert terminated >= 4  # read pool, jobs pool, the leader's lock, the listener
        await until(lambda: _true(res.election.terms > terms), "the leader leads again")
        await until(lambda: _true(res.activation.connections > listened), "the listener is back")
        assert (await client.get("/readyz")).json()["status"] == "ready"


async def test_reads_on_connections_the_network_dropped_are_retried_on_fresh_ones(
    database_url: str, engine: AsyncEngine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await store_model(engine, jobs_model(), source="outage-test")
    async with proxied(database_url) as proxy, served(proxy.url(), tmp_path) as (res, client):
        try:
            await _warm(client)
            proxy.sever()  # every pooled connection is dead, and the service cannot know yet
            with caplog.at_level(logging.WARNING, logger="ecoplane.database"):
                answer = await client.get("/api/v1/datastores")
            assert answer.status_code == 200, answer.text
            said = [r.getMessage() for r in caplog.records]
            retried = [line for line in said if "tried once more" in line]
            assert retried and retried[0].startswith("GET /api/v1/datastores lost its database")
            answers = [(await client.get(path)).status_code for path in READS * 3]
            assert answers == [200] * len(answers)  # the pool's other dead connections expired
            assert not res.outage.down
        finally:  # the forgotten connections end before the service stops: nothing waits on them
            await proxy.close()


async def test_reads_on_connections_told_of_their_end_before_it_came_are_retried(
    database_url: str, engine: AsyncEngine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The server's goodbye read before the closed socket: asyncpg refuses the next query with
    an InternalClientError (its protocol is consuming an error), which is a lost connection too."""
    await store_model(engine, jobs_model(), source="outage-test")
    async with proxied(database_url) as proxy, served(proxy.url(), tmp_path) as (res, client):
        try:
            await _warm(client)
            proxy.hold_ends()
            pooled = list(proxy.links)  # the background loops' new connections come later
            admin = await asyncpg.connect(asyncpg_dsn(database_url))

            async def every_goodbye_passed_on() -> bool:
                # terminated again while one is missing: a connection still starting up has no
                # database in pg_stat_activity yet, so the first terminate may not have seen it
                if not proxy.ended_by_server(pooled):
                    await admin.execute(TERMINATE_OTHERS)
                    await asyncio.sleep(0.05)
                return proxy.ended_by_server(pooled)

            try:
                await until(every_goodbye_passed_on, "every goodbye was passed on")
            finally:
                await admin.close()
            with caplog.at_level(logging.WARNING, logger="ecoplane.database"):
                answers = [(await client.get(path)).status_code for path in READS]
            assert answers == [200] * len(answers)
            retried = [
                r.getMessage() for r in caplog.records if "tried once more" in r.getMessage()
            ]
            assert retried and "InternalClientError" in retried[0], retried
            assert not res.outage.down  # a retry answered: no outage was declared
        finally:
            await proxy.close()


async def _true(value: bool) -> bool:
    return value
