"""What a batch that changed rows starts: the onInputChange transformers reading its datastore.

A run-ended subscriber (wired in app/resources.py): the worker tells the service what the
batch did through the batch record of its run, which this reads once the run succeeded.
"""

from __future__ import annotations

import logging

import asyncpg

from app.db.run_table import RunKind, RunState
from app.errors import AppError
from app.ingestion.batches import changed_rows
from app.jobs.dependents import Start
from app.jobs.model import input_change_readers
from app.jobs.pooled import acquire
from app.jobs.runs import Run

log = logging.getLogger("ecoplane.ingestion")


class AfterBatch:
    """Starts, through `start` (the job service's start-or-skip), what a changing batch leads to."""

    def __init__(self, pool: asyncpg.Pool, start: Start) -> None:
        self.pool = pool
        self.start = start

    async def after(self, run: Run) -> None:
        """Start the readers' onInputChange transformers once an ingestion run changed rows."""
        if run.kind != RunKind.INGESTION or run.state != RunState.SUCCEEDED:
            return
        if run.version_id is None:
            return
        async with acquire(self.pool) as connection:
            changed = await changed_rows(connection, run.id)
            readers = await input_change_readers(connection, run.version_id, run.target)
        if not changed:
            log.info("batch of run %s changed no rows: nothing follows", run.id,
                     extra={"run_id": run.id, "datastore": run.target})  # fmt: skip
            return
        for name in readers:
            try:
                await self.start(name, "input-change", f"after-run-{run.id}", f"run {run.id}")
            except AppError as error:  # e.g. it left the model since
                log.warning("%s not started after run %s: %s", name, run.id, error.detail)
