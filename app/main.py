"""The composition root: create_app() builds the service; its lifespan builds the resources."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api import openapi_docs, problems
from app.api.deps import Resources, storable_parameters
from app.api.observability import Metrics, Observe
from app.api.routes import (
    datastores,
    diffs,
    governance,
    health,
    ingests,
    lineage,
    runs,
    security,
    versions,
    webhooks,
    workspaces,
)
from app.api.version_answers import AnswerCache, VersionAnswers
from app.catalog.activation import ActivationListener
from app.catalog.retention import apply_retention, fail_interrupted
from app.catalog.store import store_model
from app.db.embedded import stop_embedded
from app.db.engine import create_engine, create_pool, database_url
from app.db.migrate import upgrade
from app.db.urls import asyncpg_dsn
from app.ecosystem.loader import load_directory
from app.examples.seeder import seed_if_missing
from app.gitsource.service import build_ingestion
from app.jobs.leader import LeaderElection
from app.jobs.pooled import jobs_pool
from app.jobs.runners.factory import build_runner
from app.jobs.scheduler import Scheduler
from app.jobs.service import JobService
from app.security.dashboard import ensure_local_dashboard
from app.security.secrets.run_secrets import run_secrets
from app.settings import Settings, TokenEntry, new_token

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "acme"
OPERATOR_TOKEN = "operator-token"
CLOSE_SECONDS = 10.0
log = logging.getLogger("ecoplane")


def with_example_path(settings: Settings) -> Settings:
    """The settings with `examples/` on the python path when the example model is used (the
    embedded default), so that its transformers' modules (acme_transformers.*) are found."""
    if not (settings.embedded and settings.load_example and EXAMPLE.is_dir()):
        return settings
    if EXAMPLE.parent in settings.python_path:
        return settings
    return settings.model_copy(update={"python_path": [*settings.python_path, EXAMPLE.parent]})


def with_local_operator(settings: Settings) -> Settings:
    """On the embedded default, a token of every scope for this machine's user, kept in
    `<data_dir>/operator-token` (0600, made once): runs can be started at once, nothing is open."""
    if not settings.embedded:
        return settings
    path = settings.data_dir / OPERATOR_TOKEN
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(new_token() + "\n")
    entry = TokenEntry.of("local-operator", path.read_text(), ["read", "operate", "admin"])
    return settings.model_copy(update={"tokens": [*settings.tokens, entry]})


def with_run_subscribers(jobs: JobService) -> JobService:
    """The job service with its run-ended subscribers: here is where one is added (in order)."""
    jobs.run_ended.subscribe(jobs.dependents.after)  # what a success starts next
    return jobs


async def _example(settings: Settings, engine: AsyncEngine, pool: asyncpg.Pool) -> None:
    """The example on a fresh embedded default: acme stored and active, its raw tables seeded."""
    model = load_directory(EXAMPLE)
    if await pool.fetchval("SELECT id FROM model_versions WHERE state = 'active'") is None:
        stored = await store_model(engine, model, source=str(EXAMPLE))
        log.info("loaded the example model as version %s", stored.id)
    seeded = await seed_if_missing(settings, model)
    if seeded is not None:
        log.info(
            "seeded the example's raw tables in the warehouse: %s",
            f"{seeded.rows} rows in {len(seeded.tables)} tables",
        )


async def _prepare(settings: Settings) -> Resources:
    """Database ready: migrated, interrupted loads failed, the example loaded on a fresh embedded one."""
    settings = with_local_operator(with_example_path(settings))
    url = await database_url(settings)
    engine = create_engine(url)
    await upgrade(engine)
    failed = await fail_interrupted(engine)
    if failed:
        log.warning(
            "model versions %s were interrupted while loading and are marked failed", failed
        )
    pool = await create_pool(url)
    if settings.embedded and settings.load_example and EXAMPLE.is_dir():
        await _example(settings, engine, pool)
    await apply_retention(engine, settings.keep_versions)
    if settings.embedded:  # the model export reads the model as the dashboard role
        await ensure_local_dashboard(engine, url, settings.data_dir)
    jobs_db = await jobs_pool(asyncpg_dsn(url))  # its own: released without a reset
    runner = build_runner(settings, url, run_secrets(settings))
    jobs = with_run_subscribers(JobService(jobs_db, settings, runner))
    scheduler = Scheduler(jobs, jobs_db, settings)
    election = LeaderElection(
        asyncpg_dsn(url),
        scheduler.lead,
        scheduler.step_down,
        retry_seconds=settings.leader_retry_seconds,
    )
    activation = ActivationListener(asyncpg_dsn(url))
    resources = Resources(
        settings, engine, pool, activation, jobs, scheduler, election,
        answers=AnswerCache(settings.answer_cache_mb * 2**20),
    )  # fmt: skip
    resources.activation.subscribe(resources.active.forget)
    resources.activation.subscribe(resources.answers.forget)
    resources.activation.subscribe(scheduler.rebuild)
    settled = await jobs.reconcile()  # runs left running by an earlier start
    if settled:
        log.info("runs %s ended while the service was away and are recorded", settled)
    active = await pool.fetchval("SELECT id FROM model_versions WHERE state = 'active'")
    if active is not None:  # the active version's graph, before the first question
        await resources.graphs.get(pool, active)
    await resources.activation.start(active)
    resources.ingestion = build_ingestion(engine, settings)
    resources.ingestion.start()  # the worker resumes queued ingests, and recovers interrupted ones
    if resources.ingestion.poller is not None:  # the leader polls, for every replica
        scheduler.every("model-poll", settings.poll_seconds, resources.ingestion.poller.poll)
    if settings.scheduler:
        await election.start()
    return resources


async def _closed(pool: asyncpg.Pool) -> None:
    """Close a pool; connections still held after a while are terminated, never waited for."""
    try:
        async with asyncio.timeout(CLOSE_SECONDS):
            await pool.close()
    except TimeoutError:
        log.warning("connections were still in use at shutdown: terminated")
        pool.terminate()


async def _release(resources: Resources) -> None:
    """Stop ingesting, scheduling and following runs, then close the connections."""
    if resources.ingestion is not None:
        await resources.ingestion.stop()
    await resources.election.stop()
    await resources.scheduler.step_down()
    await resources.jobs.close()
    await _closed(resources.jobs.pool)
    await resources.activation.stop()
    await _closed(resources.pool)
    await resources.engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ecoplane service."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.resources = await _prepare(settings)
        try:
            yield
        finally:
            await _release(app.state.resources)
            if settings.embedded:
                stop_embedded()

    app = FastAPIOffline(  # Swagger UI and ReDoc served from the installed package, no CDN
        title="ecoplane",
        version="1",
        summary="The control plane of a data ecosystem: its model, versions, lineage and impact.",
        lifespan=lifespan,
        # operationIds are the route functions' names: stable, and readable in generated clients
        generate_unique_id_function=lambda route: route.name,
        dependencies=[Depends(storable_parameters)],  # before any other: nothing reads them yet
    )
    app.state.metrics = Metrics()
    app.add_middleware(VersionAnswers, metrics=app.state.metrics)  # inside Observe: hits logged
    app.add_middleware(Observe, metrics=app.state.metrics)
    problems.install(app)
    openapi_docs.install(app)
    app.include_router(health.router)
    for router in (
        versions.router,
        governance.router,
        datastores.router,
        workspaces.router,
        lineage.router,
        diffs.router,
        ingests.router,
        webhooks.router,
        runs.router,
        security.router,
    ):
        app.include_router(router, prefix="/api/v1")
    return app
