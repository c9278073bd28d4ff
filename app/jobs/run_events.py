"""The events of runs (run.started, run.succeeded, run.failed, security.sync.failed), emitted in
the statement's transaction that records the change: a run's data is what the Slack messages
key off (runId, kind, target, state, times, exitCode, reason, modelVersion, logTail masked as
the run keeps it, an ingestion's batch counts). With a `RunLineage` (ECOPLANE_OPENLINEAGE_URL
set), its OpenLineage events go in the same transaction (`app/jobs/run_lineage.py`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import asyncpg

from app.db.run_table import RunKind, RunState
from app.events.outbox import emit_many

if TYPE_CHECKING:
    from app.jobs.run_lineage import RunLineage
    from app.jobs.runs import Run

LOG_TAIL_CHARS = 8000  # of the (already masked) tail an event carries
FAILED = (RunState.FAILED, RunState.TIMED_OUT, RunState.LOST)


def run_data(run: Run, batch: dict[str, Any] | None = None) -> dict[str, Any]:
    """The data of a run's events."""
    data: dict[str, Any] = {
        "runId": run.id, "kind": run.kind.value, "target": run.target, "state": run.state.value,
        "trigger": run.trigger, "requestedBy": run.requested_by, "attempts": run.attempts,
        "createdAt": run.created_at, "startedAt": run.started_at, "endedAt": run.finished_at,
        "exitCode": run.exit_code, "reason": run.reason, "modelVersion": run.version_id,
        "logTail": run.log_tail[-LOG_TAIL_CHARS:] if run.log_tail else run.log_tail,
    }  # fmt: skip
    if batch is not None:
        data["batch"] = batch
    return data


async def started(
    connection: asyncpg.Connection, runs: Iterable[Run], lineage: RunLineage | None = None
) -> None:
    """run.started of each run, and its OpenLineage START with a lineage."""
    runs = list(runs)  # their events in one statement
    await emit_many(connection, [("run.started", f"run/{r.id}", run_data(r)) for r in runs])
    if lineage is not None:
        await lineage.started(connection, runs)


async def ended(
    connection: asyncpg.Connection, runs: Iterable[Run], lineage: RunLineage | None = None
) -> None:
    """run.succeeded or run.failed of each run (a cancelled one sends nothing); a failed
    security sync is security.sync.failed too; with a lineage, the OpenLineage end of each."""
    runs = list(runs)
    if lineage is not None:
        await lineage.ended(connection, runs)
    ended = [run for run in runs if run.state is RunState.SUCCEEDED or run.state in FAILED]
    batches = await _batches(connection, [r.id for r in ended if r.kind is RunKind.INGESTION])
    events = []  # in one statement
    for run in ended:
        data = run_data(run, batches.get(run.id))
        failed = run.state in FAILED
        events.append(("run.failed" if failed else "run.succeeded", f"run/{run.id}", data))
        if failed and run.kind is RunKind.SECURITY_SYNC:
            events.append(("security.sync.failed", f"run/{run.id}", data))
    await emit_many(connection, events)


async def _batches(connection: asyncpg.Connection, run_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The batch of each ingestion run that has one: its number, state and counts."""
    if not run_ids:
        return {}
    rows = await connection.fetch(
        "SELECT run_id, datastore, number, state, inserted, updated, deleted, unchanged"
        " FROM batches WHERE run_id = ANY($1::bigint[])",
        run_ids,
    )
    return {row["run_id"]: {k: v for k, v in row.items() if k != "run_id"} for row in rows}
