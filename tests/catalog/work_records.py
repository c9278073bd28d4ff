"""A week of the example's work in a test database, written by the app's own functions.

Versions are stored by `store_model` (the example active, a broken copy rejected), ingests go
through the queue, runs are created, started and finished by `app.jobs.runs` (emitting their
events), batches by `app.ingestion.batches`, applied syncs by `record_sync`, checks by
`app.forges.checks`, and a Slack subscription's deliveries are claimed and recorded by
`app.events.deliveries` (two of them dead). Only the clock is the test's: the functions write
`now()`, so the runs, their batches, syncs and events are then dated back over the last seven
days (one UPDATE of their timestamps), which gives the run-health queries a history to chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import store_model
from app.db.event_tables import DeliveryState
from app.db.ingest_table import IngestState
from app.db.run_table import RunKind, RunState
from app.ecosystem.loader import load_directory, load_texts
from app.events.deliveries import Attempt, claim, record
from app.events.subscriptions import Subscription, register
from app.forges.checks import claim_due, finish, queue_check
from app.gitsource.queue import advance, queue_ingest
from app.ingestion.batches import BatchResult, fail_batch, finish_batch, start_batch
from app.ingestion.merge import Counts
from app.jobs.runners.base import Outcome
from app.jobs.runs import Run, RunRequest, create_run, finish_runs, mark_many_running
from app.security.audit import record_sync
from app.security.operations import Phase, Plan, SchemaSpec

ACME = Path(__file__).resolve().parents[2] / "examples" / "acme"
DAYS = 7
# transformer → seconds a run takes; the days (0: today) it fails, and how
TRANSFORMERS = {
    "compute_revenue": 95.0,
    "segment_customers": 240.0,
    "compute_exposures": 610.0,
    "mask_customers": 30.0,
    "build_capital_report": 150.0,
}
FAILURES = {
    ("compute_exposures", 5): Outcome(RunState.FAILED, 1, "exit code 1"),
    ("compute_exposures", 2): Outcome(RunState.FAILED, 1, "exit code 1"),
    ("mask_customers", 4): Outcome(RunState.TIMED_OUT, None, "timed out after 1800 s"),
    ("security", 3): Outcome(RunState.FAILED, 2, "the warehouse refused: permission denied"),
    ("MarketData", 1): Outcome(RunState.FAILED, 1, "the source refused the login di_marketdata"),
}
INGESTED = {"Orders": (120, 14), "Customers": (35, 3), "MarketData": (2400, 0)}
# what a run of the other targets takes, in seconds
SECONDS = {**TRANSFORMERS, "Orders": 45.0, "Customers": 12.0, "MarketData": 180.0, "security": 25.0}
SECRET_TAIL = "connecting with PGPASSWORD=hunter2-unmasked-on-kubernetes\nERROR: exposure limit"
HOOK = Subscription(
    "https://hooks.slack.test/services/T0ACME/B0OPS/token-in-the-path", ("run.failed",), "slack"
)


@dataclass(frozen=True, slots=True)
class Week:
    """What was written: the active run left running, and the counts the queries should find."""

    running: int
    runs: int
    dead: int


async def record_week(engine: AsyncEngine, db: asyncpg.Connection) -> Week:
    """Write the week (see the module's docstring) through `db`, a connection as the owner."""
    active = await _versions(engine, db)
    await register(db, [HOOK])
    ended = 0
    for day in range(DAYS - 1, -1, -1):
        ended += await _day(db, day, active)
    running, _ = await create_run(
        db, RunRequest(RunKind.TRANSFORMER, "segment_customers", "manual", active)
    )
    await mark_many_running(db, [(running.id, "local:4242:0", 1)])
    await db.execute(
        "UPDATE runs SET created_at = now() - interval '41 minutes',"
        " started_at = now() - interval '40 minutes' WHERE id = $1",
        running.id,
    )
    await create_run(db, RunRequest(RunKind.INGESTION, "Orders", "schedule", active))
    await _events_dated(db)
    dead = await _deliveries(db)
    await _checks(db)
    return Week(running=running.id, runs=ended + 2, dead=dead)


async def _versions(engine: AsyncEngine, db: asyncpg.Connection) -> int:
    """The example stored and active, a broken copy rejected; their ingests as the queue has them."""
    good, _ = await queue_ingest(db, trigger="poll", ref="main", commit_sha="5f1c2ab")
    stored = await store_model(engine, load_directory(ACME), source="acme", commit_sha="5f1c2ab")
    await advance(db, good.id, IngestState.ACTIVE, version_id=stored.id)
    broken_texts: dict[str, str | bytes] = {
        "extra.yaml": "apiVersion: ecoplane.io/v1\nkind: Nope\n"
    }
    bad, _ = await queue_ingest(
        db, trigger="github", ref="main", commit_sha="c3e8a10", delivery_id="d-1"
    )
    rejected = await store_model(
        engine, load_texts(broken_texts), source="acme", commit_sha="c3e8a10"
    )
    why = f"the model has errors: see /api/v1/model-versions/{rejected.id}/problems"  # as the pipeline
    await advance(db, bad.id, IngestState.REJECTED, version_id=rejected.id, errors=1, detail=why)
    lost, _ = await queue_ingest(db, trigger="manual", ref="release-7", requested_by="alice")
    await advance(
        db, lost.id, IngestState.FAILED, detail="git fetch: couldn't find remote ref release-7"
    )
    return stored.id


async def _day(db: asyncpg.Connection, day: int, version: int) -> int:
    """One day's runs: every transformer, three ingestions, the sync and the model export."""
    targets = [
        *((RunKind.TRANSFORMER, name) for name in TRANSFORMERS),
        *((RunKind.INGESTION, name) for name in INGESTED),
        (RunKind.SECURITY_SYNC, "security"),
        (RunKind.EXTERNALIZE_MODEL, "externalize-model"),
    ]
    runs = [
        (await create_run(db, RunRequest(kind, target, "schedule", version)))[0]
        for kind, target in targets
    ]
    await mark_many_running(db, [(run.id, f"local:{run.id}", 1) for run in runs])
    batches = {}
    for run in runs:
        if run.kind is RunKind.INGESTION:
            batches[run.id] = await start_batch(db, run.target, "sql-snapshot", "live", run.id)
    ends = [(run.id, _outcome(run, day)) for run in runs]
    for run_id, outcome in ends:
        if run_id in batches:
            await _end_batch(db, batches[run_id].id, batches[run_id].datastore, outcome)
    await finish_runs(db, ends)
    for run in runs:
        if run.kind is RunKind.SECURITY_SYNC and _outcome(run, day).state is RunState.SUCCEEDED:
            await _sync(db, version)
    await _dated(db, runs, day)
    return len(runs)


def _outcome(run: Run, day: int) -> Outcome:
    failure = FAILURES.get((run.target, day))
    if failure is None:
        return Outcome(RunState.SUCCEEDED, 0, None, "done")
    return Outcome(failure.state, failure.exit_code, failure.reason, SECRET_TAIL)


async def _end_batch(db: asyncpg.Connection, batch: int, datastore: str, outcome: Outcome) -> None:
    if outcome.state is not RunState.SUCCEEDED:
        await fail_batch(db, batch, outcome.reason or "failed")
        return
    inserted, updated = INGESTED[datastore]
    counts = Counts(inserted=inserted, updated=updated, unchanged=1000 + inserted)
    await finish_batch(db, batch, BatchResult({datastore.lower(): counts}, {}, 1.5, 0.4))


async def _sync(db: asyncpg.Connection, version: int) -> None:
    plan = Plan()
    plan.add(Phase.SCHEMAS, "create schema", "ws_finance", "workspace", SchemaSpec("ws_finance"))
    plan.add(Phase.GRANT, "grant", "ws_finance", "workspace reads", SchemaSpec("ws_finance"))
    await record_sync(db, plan, ["CREATE SCHEMA ws_finance", "GRANT ..."], version, forced=False)


async def _dated(db: asyncpg.Connection, runs: list[Run], day: int) -> None:
    """The day's runs (and their batches and the day's applied syncs) moved `day` days back:
    requested 3 hours before now on that day plus a minute per run, started 5 s later, each
    taking its duration."""
    start = datetime.now(UTC) - timedelta(days=day, hours=3)
    for offset, run in enumerate(runs):
        requested = start + timedelta(minutes=offset)
        seconds = SECONDS.get(run.target, 8.0) * (1 + 0.1 * day)
        await db.execute(
            "UPDATE runs SET created_at = $2, started_at = $3, finished_at = $4 WHERE id = $1",
            run.id, requested, requested + timedelta(seconds=5),
            requested + timedelta(seconds=5 + seconds),
        )  # fmt: skip
        await db.execute(
            "UPDATE batches SET started_at = r.started_at, finished_at = r.finished_at"
            " FROM runs r WHERE r.id = $1 AND batches.run_id = r.id",
            run.id,
        )
    await db.execute(
        "UPDATE security_syncs SET applied_at = $1 WHERE applied_at > now() - interval '1 minute'",
        start + timedelta(minutes=len(runs)),
    )


async def _events_dated(db: asyncpg.Connection) -> None:
    """Each run's events at the times its run started and ended."""
    await db.execute(
        "UPDATE events e SET time = CASE WHEN e.type = 'run.started' THEN r.started_at"
        " ELSE coalesce(r.finished_at, r.started_at) END"
        " FROM runs r WHERE e.subject = 'run/' || r.id"
    )
    await db.execute(
        "UPDATE events e SET time = s.applied_at FROM security_syncs s"
        " WHERE e.subject = 'security-sync/' || s.id"
    )


async def _deliveries(db: asyncpg.Connection) -> int:
    """The Slack deliveries of run.failed: the two newest dead (the hook was removed), the rest
    delivered; returns how many are dead."""
    claimed = await claim(db, 100, 60.0)
    claimed.sort(key=lambda c: c.event.time)
    refused = Attempt(DeliveryState.DEAD, 404, "HTTP 404: no_service (refused: not retried)")
    for number, delivery in enumerate(claimed):
        dead = number >= len(claimed) - 2
        await record(db, delivery, refused if dead else Attempt(DeliveryState.DELIVERED, 200))
    await db.execute(
        "UPDATE deliveries d SET next_attempt_at = e.time + interval '2 seconds',"
        " delivered_at = CASE WHEN d.state = 'delivered' THEN e.time + interval '1 second' END"
        " FROM events e WHERE e.id = d.event_id"
    )
    return min(2, len(claimed))


async def _checks(db: asyncpg.Connection) -> None:
    """Two pull requests checked: one passes, one waits for an approval."""
    for number, (state, detail) in enumerate(
        [("success", "no breaking change"), ("failure", "needs approval from github:carol")],
        start=41,
    ):
        await queue_check(
            db, forge="github", pull_request=number, head_sha=f"{number}ab", author="bob",
            delivery_id=f"pr-{number}",
        )  # fmt: skip
        check = await claim_due(db)
        assert check is not None
        await finish(db, check["id"], state, detail, None)
