"""The composition root: create_app() builds the service; its lifespan builds the resources
(app/resources.py) and wires who hears of an activation."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline

from app.api import declared_params, openapi_docs, problems
from app.api.answer_cache import AnswerCache
from app.api.deps import storable_parameters
from app.api.fast_reads import FastReads
from app.api.observability import Metrics, Observe
from app.api.outages import DatabaseOutages
from app.api.routes import (
    checks,
    datastores,
    diffs,
    events,
    governance,
    health,
    ingestions,
    ingests,
    lineage,
    runs,
    security,
    tokens,
    versions,
    webhooks,
    workspaces,
)
from app.api.version_answers import VersionAnswers
from app.console.router import install as install_console
from app.db.embedded import stop_embedded
from app.events.formats import FORMATS
from app.events.metrics import OutboxMetrics
from app.events.subscriptions import configured
from app.resources import build_resources, release_resources, start_resources
from app.settings import Settings


def create_app(settings: Settings | None = None, *, fast_reads: bool = True) -> FastAPI:
    """The ecoplane service; `fast_reads=False` leaves every model read to FastAPI's routing
    (the fast path's equivalence test compares the two)."""
    settings = settings or Settings()
    declared_params.remember()  # FastAPI's per-request facts about declarations, once
    configured(settings, list(FORMATS))  # a bad ECOPLANE_NOTIFY stops the start, naming the entry
    answers = AnswerCache(settings.answer_cache_mb * 2**20)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resources = app.state.resources = await build_resources(settings)
        if resources.deliveries is not None:
            resources.deliveries.metrics = app.state.outbox_metrics
        resources.activation.subscribe(resources.active.forget)
        resources.activation.subscribe(answers.forget)
        resources.activation.subscribe(resources.scheduler.rebuild)
        resources.activation.subscribe(resources.search_indexes.activated)
        resources.jobs.run_ended.subscribe(app.state.metrics.work.run_ended)  # runs' metrics
        await start_resources(resources)
        # what the start made (modules, routes, pools: ~170,000 objects before any model is
        # read) stays out of the cyclic collector's scans while the service runs: a full
        # collection walked them all, ~90 ms of a busy loop every few hundred runs started
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()  # what the process made is collectable again (a test's next app)
            await release_resources(resources)
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
        # FastAPI's own OpenTelemetry looks for configured providers on every request (the
        # environment among them): ecoplane's metrics, logs and request ids are its own
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.metrics = Metrics()
    app.state.outbox_metrics = OutboxMetrics(app.state.metrics.registry)
    if fast_reads:  # innermost: the model's reads, before FastAPI's routing (app/api/fast_reads.py)
        app.add_middleware(FastReads)
    app.add_middleware(DatabaseOutages)  # a route's database error, before the 500
    app.add_middleware(
        VersionAnswers, metrics=app.state.metrics, answers=answers
    )  # inside Observe: hits logged
    app.add_middleware(Observe, metrics=app.state.metrics)
    problems.install(app)
    openapi_docs.install(app, settings)
    app.include_router(health.router)
    # the model's reads first: a request is matched against the routes in this order, and
    # these are the ones asked most (no path of one router shadows another's)
    for router in (
        datastores.router,
        workspaces.router,
        lineage.router,
        versions.router,
        governance.router,
        diffs.router,
        ingests.router,
        ingestions.router,
        webhooks.router,
        checks.router,
        runs.router,
        security.router,
        events.router,
        tokens.router,
    ):
        app.include_router(router, prefix="/api/v1")
    install_console(app)  # the web console: /ui/, and / sends a browser there
    return app
