"""The example's first batch: once the security sync has made the example's roles and views,
the embedded default ingests its source-backed datastore (ReferenceData) for the first time.

A run-ended subscriber (wired in app/resources.py only for the embedded example). The run's key
is fixed, so it starts once per data directory; later batches come from the API, the CLI
(`ecoplane ingestion ReferenceData`) or its cron (the example's ECOPLANE_INGESTION_SCHEDULE
names ReferenceData).
"""

from __future__ import annotations

import logging

from app.db.run_table import RunKind, RunState
from app.errors import AppError
from app.jobs.runs import Run
from app.jobs.service import JobService

FIRST_BATCH_KEY = "example-first-batch"
log = logging.getLogger("ecoplane")


class FirstBatch:
    """Starts the example datastore's first ingestion after a security sync succeeded."""

    def __init__(self, jobs: JobService, datastore: str) -> None:
        self.jobs = jobs
        self.datastore = datastore

    async def after(self, run: Run) -> None:
        """After a succeeded security sync: the first ingestion, unless it was started before."""
        if run.kind != RunKind.SECURITY_SYNC or run.state != RunState.SUCCEEDED:
            return
        try:
            started, created = await self.jobs.start_ingestion(
                self.datastore, "schedule", key=FIRST_BATCH_KEY, requested_by="the example"
            )
        except AppError as error:  # e.g. an ingestion of it is running already
            log.warning("the example's first batch of %s did not start: %s", self.datastore,
                        error.detail, extra={"datastore": self.datastore})  # fmt: skip
            return
        if created:
            log.info("the example's first batch of %s: ingestion run %s", self.datastore,
                     started.id, extra={"datastore": self.datastore, "run_id": started.id})  # fmt: skip
