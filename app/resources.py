"""The service container: what a running ecoplane holds (settings, engine, pools, the activation
hook, jobs, scheduler, election, ingestion) and how it is built, started and released.

The API reaches it through its dependencies; the CLI builds the parts it needs from here too,
without the API. Who hears of an activation is wired by app/main.py.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass, field

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.activation import ActivationListener
from app.catalog.dashboard import refresh_dashboard_grants
from app.catalog.rebuild import KeptModels
from app.catalog.retention import apply_retention, fail_interrupted
from app.catalog.search_indexes import SearchIndexes
from app.catalog.version_graph import GraphCache
from app.catalog.versions import ActiveVersion, VersionRef
from app.db.engine import (
    SERVICE_POOL_SIZE,
    create_engine,
    create_pool,
    database_url,
    read_pool_size,
)
from app.db.lender import ReadLender
from app.db.migrate import upgrade
from app.db.model_versions import active_version_id
from app.db.outage import Outage, connection_lost, describe
from app.db.token_directory import TokenDirectory
from app.db.urls import asyncpg_dsn
from app.db.watchdog import EmbeddedWatchdog
from app.ecosystem.loader import load_directory
from app.events.formats import FORMATS
from app.events.subscriptions import configured, register
from app.events.worker import DeliveryWorker, acquired
from app.examples.embedded_default import (
    EXAMPLE,
    load_example,
    uses_example,
    with_example_path,
)
from app.examples.first_batch import FirstBatch
from app.examples.source_db import EXAMPLE_DATASTORE, example_source, with_example_source
from app.forges.service import CheckWorker, build_check_worker
from app.gitsource.service import Ingestion, build_ingestion
from app.ingestion.abandoned import AbandonedBatch
from app.ingestion.followup import AfterBatch
from app.jobs.ended import log_failure
from app.jobs.leader import Failover, LeaderElection
from app.jobs.pooled import jobs_pool
from app.jobs.run_lineage import RunLineage
from app.jobs.runners.factory import build_runner
from app.jobs.scheduler import Scheduler
from app.jobs.service import JobService
from app.security.dashboard import ensure_local_dashboard
from app.security.secrets.run_secrets import run_secrets
from app.settings import Settings, TokenEntry, new_token

OPERATOR_TOKEN = "operator-token"
CLOSE_SECONDS = 10.0
log = logging.getLogger("ecoplane")


@dataclass(slots=True)
class Resources:
    """What a running service holds: settings, engine (writes), pool (reads), activation hook,
    jobs, graphs, search indexes, and the ingestion that follows the model repository."""

    settings: Settings
    engine: AsyncEngine
    pool: asyncpg.Pool
    activation: ActivationListener
    jobs: JobService
    scheduler: Scheduler
    election: LeaderElection
    search_indexes: SearchIndexes  # the console search's, after each activation
    reads: ReadLender  # the API's and the console's read connections, lent in arrival order
    graphs: GraphCache = field(default_factory=GraphCache)
    active: ActiveVersion = field(default_factory=ActiveVersion)
    ingestion: Ingestion | None = None
    checks: CheckWorker | None = None  # pull requests' verdicts, when a forge is configured
    deliveries: DeliveryWorker | None = None  # the outbox's events to their subscriptions
    tokens: TokenDirectory = field(default_factory=TokenDirectory)  # the database's API tokens
    outage: Outage = field(default_factory=Outage)  # whether the database answers, since when
    watchdog: EmbeddedWatchdog | None = None  # starts the embedded Postgres again if it dies

    async def active_version(self) -> VersionRef:
        """The active version, remembered for `active_version_seconds`; when it is read, the
        read takes its connection in turn with the requests."""
        return await self.active.get(self.reads.lend, self.settings.active_version_seconds)

    async def connections_lost(self) -> None:
        """A connection was lost: the others probably died with it, fresh ones next."""
        await self.reads.expire()
        await self.pool.expire_connections()


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
    """The job service with its run-ended subscribers: here is where one is added (in order).

    Wired here, not in app/main.py, because `ecoplane run` follows runs without the API and
    a success it waits for must start its dependents all the same."""
    jobs.run_ended.subscribe(log_failure)  # the log's one line for a failed run
    jobs.run_ended.subscribe(jobs.dependents.after)  # what a success starts next
    jobs.run_ended.subscribe(AfterBatch(jobs.pool, jobs.start_or_skip).after)  # a changing batch
    jobs.run_ended.subscribe(AbandonedBatch(jobs.pool).after)  # a batch its killed worker left
    return jobs


def job_service(settings: Settings, url: str, pool: asyncpg.Pool) -> JobService:
    """The job service on this pool, with the configured runner, its secrets and subscribers, and
    the runs' OpenLineage events when ECOPLANE_OPENLINEAGE_URL is set."""
    runner = build_runner(settings, url, run_secrets(settings))
    lineage = RunLineage.of(settings, KeptModels().model)
    return with_run_subscribers(JobService(pool, settings, runner, lineage))


async def build_resources(settings: Settings) -> Resources:
    """Database ready (migrated, interrupted loads failed, the example loaded on a fresh embedded
    one) and every part built; nothing listens, schedules or ingests until `start_resources`."""
    settings = with_local_operator(with_example_path(settings))
    # the example's files read in a thread while the database is started and checked (~50 ms
    # of parsing that would otherwise follow those round trips); a bad example is its error
    example = (
        asyncio.get_running_loop().run_in_executor(None, load_directory, EXAMPLE)
        if uses_example(settings)
        else None
    )
    url = await database_url(settings)
    engine = create_engine(url)
    await upgrade(engine)
    failed = await fail_interrupted(engine)
    if failed:
        log.warning(
            "model versions %s were interrupted while loading and are marked failed", failed
        )
    pool = await create_pool(url, size=SERVICE_POOL_SIZE)
    source = None
    if example is not None:
        model = await example
        if (found := example_source(model, url)) is not None:
            source, settings = (url, found), with_example_source(settings, found)
        await load_example(settings, engine, pool, model, source)
    await apply_retention(engine, settings.keep_versions)
    if settings.embedded:  # the model export reads the model as the dashboard role
        await ensure_local_dashboard(engine, url, settings.data_dir, settings.dashboard_role)
    else:  # a role made by `ecoplane db grant-dashboard` reads what this version added
        await refresh_dashboard_grants(engine, settings.dashboard_role)
    jobs_db = await jobs_pool(asyncpg_dsn(url))  # its own: released without a reset
    jobs = job_service(settings, url, jobs_db)
    if source is not None:  # the example's first batch, once its roles and views exist
        jobs.run_ended.subscribe(FirstBatch(jobs, EXAMPLE_DATASTORE).after)
    scheduler = Scheduler(jobs, jobs_db, settings)
    election = LeaderElection(
        asyncpg_dsn(url),
        scheduler.lead,
        scheduler.step_down,
        retry_seconds=settings.leader_retry_seconds,
        failover=Failover(settings.failover_seconds),
    )
    activation = ActivationListener(asyncpg_dsn(url))
    async with acquired(pool) as connection:  # who gets events: this start's configuration
        await register(connection, configured(settings, list(FORMATS)))
    size = read_pool_size(settings.read_pool_size, settings.embedded)
    reads = await ReadLender.opened(url, size)
    resources = Resources(
        settings, engine, pool, activation, jobs, scheduler, election, SearchIndexes(pool), reads
    )
    resources.deliveries = DeliveryWorker(pool, asyncpg_dsn(url), settings)
    if settings.embedded:
        resources.watchdog = EmbeddedWatchdog(settings.data_dir)
    return resources


async def start_resources(resources: Resources) -> None:
    """Settle runs left by an earlier start, follow activations, ingest, and take part in the
    election (subscribers are wired before: the activation hook announces the active version)."""
    settings, pool = resources.settings, resources.pool
    if resources.watchdog is not None:
        resources.watchdog.start()
    if resources.deliveries is not None:  # every replica delivers, leader or not
        await resources.deliveries.start()
    settled = await resources.jobs.reconcile()  # runs left running by an earlier start
    if settled:
        log.info("runs %s ended while the service was away and are recorded", settled)
    active = await active_version_id(pool)
    if active is not None:  # the active version's graph and indexes, made while it answers
        resources.graphs.warm(pool, active)
        await resources.search_indexes.activated(active)
    await resources.activation.start(active)
    resources.ingestion = build_ingestion(resources.engine, settings)
    resources.ingestion.start()  # the worker resumes queued ingests, and recovers interrupted ones
    resources.checks = build_check_worker(
        resources.engine, settings, resources.ingestion.repository
    )
    if resources.checks is not None:  # resumes pending checks: a forge that was down is retried
        resources.checks.start()
    if resources.ingestion.poller is not None:  # the leader polls, for every replica
        poll = resources.ingestion.poller.poll
        resources.scheduler.every("model-poll", settings.poll_seconds, poll)
    if settings.scheduler:
        await resources.election.start()


async def _closed(connections: asyncpg.Pool | ReadLender) -> None:
    """Close a pool or the read lender; connections still held after a while are terminated,
    never waited for."""
    try:
        async with asyncio.timeout(CLOSE_SECONDS):
            await connections.close()
    except TimeoutError:
        log.warning("connections were still in use at shutdown: terminated")
        connections.terminate()


async def release_resources(resources: Resources) -> None:
    """Stop ingesting, scheduling and following runs, then close the connections."""
    if resources.watchdog is not None:  # the embedded server may be stopped from now on
        await resources.watchdog.stop()
    if resources.ingestion is not None:
        await resources.ingestion.stop()
    if resources.checks is not None:
        await resources.checks.stop()
    await resources.election.stop()
    await resources.scheduler.step_down()
    try:
        await resources.jobs.close()
    except Exception as error:  # stopped during an outage: the next start reconciles its runs
        if not connection_lost(error):
            raise
        log.warning("runs could not be recorded lost while stopping: %s", describe(error))
    await _closed(resources.jobs.pool)
    if resources.deliveries is not None:
        await resources.deliveries.stop()
    await resources.activation.stop()
    await resources.graphs.close()
    await resources.search_indexes.close()
    await resources.tokens.close()  # the last uses being written
    await _closed(resources.reads)
    await _closed(resources.pool)
    await resources.engine.dispose()
