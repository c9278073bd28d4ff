"""A batch whose run ended without it: recorded `failed` with the run's reason.

A worker killed mid-batch (SIGKILL, the node lost, the Job's deadline) cannot record its batch:
the warehouse transaction dies with its connection, so the warehouse is as it was, but the batch
record would stay `running`. This run-ended subscriber (wired in app/resources.py) closes it.
"""

from __future__ import annotations

import logging

import asyncpg

from app.db.run_table import RunKind, RunState
from app.ingestion.batches import fail_abandoned
from app.jobs.pooled import acquire
from app.jobs.runs import Run

log = logging.getLogger("ecoplane.ingestion")


class AbandonedBatch:
    """Fails the batch records an ingestion run left `running` when it ended otherwise."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def after(self, run: Run) -> None:
        """When an ingestion run did not succeed, fail the batch it left running."""
        if run.kind != RunKind.INGESTION or run.state == RunState.SUCCEEDED:
            return
        reason = f"the ingestion run {run.id} ended {run.state.value}: {run.reason or 'no reason'}"
        async with acquire(self.pool) as connection:
            numbers = await fail_abandoned(connection, run.id, reason)
        for number in numbers:
            log.warning(
                "batch %s of %s was left running by run %s: recorded failed (%s)",
                number, run.target, run.id, reason,
                extra={"datastore": run.target, "batch": number, "run_id": run.id},
            )  # fmt: skip
