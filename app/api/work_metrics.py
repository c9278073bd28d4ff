"""Metrics of the work on /metrics: runs, ingests of commits, the security sync, the leader.

Two kinds, told apart by their names (docs/deploy.md, "Metrics"):

- **What this replica saw**, updated where it happens and lost at a restart: `ecoplane_runs_total`
  and `ecoplane_run_duration_seconds`, fed by the run-ended hook (a run is announced by the
  replica that recorded its end), and `ecoplane_leader`.
- **What the database holds**, the same on every replica and across restarts: the `*_last_24h`
  gauges, counted from the runs, ingests, batches and security-sync audit at scrape time, kept
  `CACHE_SECONDS` so that frequent scrapes of many replicas cost the database little.
"""

from __future__ import annotations

import time
from typing import Any

import asyncpg
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from app.db.ingest_table import FINISHED as INGEST_OUTCOMES
from app.db.run_table import FINAL, RunKind
from app.jobs.runs import Run
from app.security.drift import PREVIOUS_SYNC, REPAIRS_DRIFT
from app.security.operations import Phase

CACHE_SECONDS = 5.0
RUN_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0)
CHANGES = ("inserted", "updated", "deleted", "unchanged")
RECENT = "now() - interval '24 hours'"
RUNS = f"SELECT kind, state, count(*) AS n FROM runs WHERE finished_at > {RECENT} GROUP BY 1, 2"
INGESTS = f"SELECT state, count(*) AS n FROM ingests WHERE finished_at > {RECENT} GROUP BY 1"
ROWS = (
    "SELECT coalesce(sum(inserted), 0) AS inserted, coalesce(sum(updated), 0) AS updated,"
    " coalesce(sum(deleted), 0) AS deleted, coalesce(sum(unchanged), 0) AS unchanged"
    f" FROM batches WHERE state = 'succeeded' AND finished_at > {RECENT}"
)
# the operations of each recent sync, and those that repaired drift (app/security/drift.py)
OPERATIONS = f"""
SELECT o.phase, count(*) AS n, count(*) FILTER (WHERE {REPAIRS_DRIFT}) AS drift
  FROM security_syncs s
  JOIN security_sync_operations o ON o.sync_id = s.id
  {PREVIOUS_SYNC}
 WHERE s.applied_at > {RECENT}
 GROUP BY o.phase
"""


class WorkMetrics:
    """The work's series, in the app's registry; `run_ended` is a run-ended subscriber."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.runs = Counter(
            "ecoplane_runs", "runs whose end this replica recorded, by kind and final state",
            ["kind", "state"], registry=registry,
        )  # fmt: skip
        self.run_seconds = Histogram(
            "ecoplane_run_duration_seconds",
            "from start to end of the runs this replica recorded ending (runs that started)",
            ["kind"], buckets=RUN_BUCKETS, registry=registry,
        )  # fmt: skip
        self.leader = Gauge(
            "ecoplane_leader", "1 when this replica leads the scheduler, else 0", registry=registry
        )
        self.recent_runs = Gauge(
            "ecoplane_runs_last_24h", "runs that ended in the last 24 h, by kind and final state",
            ["kind", "state"], registry=registry,
        )  # fmt: skip
        self.recent_ingests = Gauge(
            "ecoplane_ingests_last_24h",
            "ingests of model commits that ended in the last 24 h, by outcome",
            ["outcome"], registry=registry,
        )  # fmt: skip
        self.sync_operations = Gauge(
            "ecoplane_security_sync_operations_last_24h",
            "operations applied by security syncs in the last 24 h, by kind (phase)",
            ["kind"], registry=registry,
        )  # fmt: skip
        self.drift = Gauge(
            "ecoplane_security_drift_operations_last_24h",
            "operations applied in the last 24 h to repair drift: by a sync of the model version"
            " the sync before it applied, no activation between them (as security.drift.detected)",
            ["kind"], registry=registry,
        )  # fmt: skip
        self.ingested_rows = Gauge(
            "ecoplane_ingestion_rows_last_24h",
            "rows of the ingestion batches that succeeded in the last 24 h, by change",
            ["change"], registry=registry,
        )  # fmt: skip
        self.counted_at: float | None = None

    async def run_ended(self, run: Run) -> None:
        """Count a run that ended, and how long it ran when it started."""
        self.runs.labels(run.kind.value, run.state.value).inc()
        if run.started_at is not None and run.finished_at is not None:
            seconds = (run.finished_at - run.started_at).total_seconds()
            self.run_seconds.labels(run.kind.value).observe(max(seconds, 0.0))

    async def refresh(self, pool: asyncpg.Pool, leading: bool) -> None:
        """The leader gauge now; the database's counts when older than CACHE_SECONDS."""
        self.leader.set(1 if leading else 0)
        now = time.monotonic()
        if self.counted_at is not None and now - self.counted_at < CACHE_SECONDS:
            return
        async with pool.acquire() as connection:
            runs = await connection.fetch(RUNS)
            ingests = await connection.fetch(INGESTS)
            operations = await connection.fetch(OPERATIONS)
            rows = await connection.fetchrow(ROWS)
        self._set(runs, ingests, operations, rows)
        self.counted_at = now

    def _set(
        self,
        runs: list[asyncpg.Record],
        ingests: list[asyncpg.Record],
        operations: list[asyncpg.Record],
        rows: Any,
    ) -> None:
        """Every series of the database's counts, 0 where nothing was counted."""
        by_run = {(r["kind"], r["state"]): r["n"] for r in runs}
        for kind in RunKind:
            for state in FINAL:
                self.recent_runs.labels(kind.value, state.value).set(
                    by_run.get((kind.value, state.value), 0)
                )
        by_outcome = {r["state"]: r["n"] for r in ingests}
        for outcome in INGEST_OUTCOMES:
            self.recent_ingests.labels(outcome.value).set(by_outcome.get(outcome.value, 0))
        by_phase = {r["phase"]: r for r in operations}
        for phase in (p.name.lower() for p in Phase):
            found = by_phase.get(phase)
            self.sync_operations.labels(phase).set(found["n"] if found else 0)
            self.drift.labels(phase).set(found["drift"] if found else 0)
        for change in CHANGES:
            self.ingested_rows.labels(change).set(rows[change] if rows else 0)
