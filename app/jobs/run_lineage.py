"""The OpenLineage events of runs (`openlineage.run`), emitted in the transaction that records
the run's change, beside run.started and run.succeeded/run.failed (`app/jobs/run_events.py`).

A transformer's or an ingestion's run sends START when it starts running, and COMPLETE or FAIL
when it ends (a cancelled run only when it had started: it sent a START). The event is built by
`run_event` (`app/events/openlineage.py`) from the model version the run ran, which a
`ModelOf` reads (the service's is `KeptModels.model`, `app/catalog/rebuild.py`: rebuilt once
per version). Lineage never fails a run: a version that cannot be read gives an event without
datasets, and a WARNING says why.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import asyncpg

from app.db.run_table import RunKind, RunState
from app.ecosystem.model import Model
from app.events.lineage_datasets import WarehouseAddress, warehouse_address
from app.events.openlineage import (
    DEFAULT_NAMESPACE,
    PRODUCER,
    EventType,
    ended_event_type,
    run_event,
)
from app.events.openlineage import RunKind as LineageKind
from app.events.outbox import emit
from app.settings import Settings

if TYPE_CHECKING:
    from app.jobs.runs import Run

ModelOf = Callable[[asyncpg.Connection, int], Awaitable[Model]]
EVENT_TYPE = "openlineage.run"
KINDS: dict[RunKind, LineageKind] = {
    RunKind.TRANSFORMER: "transformer",
    RunKind.INGESTION: "ingestion",
}  # security syncs and builtins read and write no dataset: they send none
TICK = "tick-%Y%m%dT%H%MZ"  # the key of a cron run (app/jobs/scheduler.py, tick_key)
log = logging.getLogger("ecoplane.events")


@dataclass(frozen=True, slots=True)
class RunLineage:
    """Emits the OpenLineage events of runs, for one installation's warehouse and namespace."""

    model_of: ModelOf
    warehouse: WarehouseAddress
    namespace: str = DEFAULT_NAMESPACE
    producer: str = PRODUCER

    @classmethod
    def of(cls, settings: Settings, model_of: ModelOf) -> RunLineage | None:
        """The lineage of runs when ECOPLANE_OPENLINEAGE_URL is set, else None (nothing sent)."""
        if not settings.openlineage_url:
            return None
        return cls(model_of, warehouse_address(settings))

    async def prepare(self, connection: asyncpg.Connection, run_ids: list[int]) -> None:
        """Read the model versions of these runs before the transaction that records their
        change, so that it is not held open for a rebuild (seconds for a large model)."""
        versions = await connection.fetch(
            "SELECT DISTINCT version_id FROM runs WHERE id = ANY($1::bigint[])"
            " AND kind = ANY($2::text[]) AND version_id IS NOT NULL",
            run_ids, [kind.value for kind in KINDS],
        )  # fmt: skip
        for row in versions:
            try:  # a savepoint when the caller holds a transaction: a failed read leaves it be
                async with connection.transaction():
                    await self.model_of(connection, row["version_id"])
            except Exception:  # read again in the transaction, which warns and sends no datasets
                continue

    async def started(self, connection: asyncpg.Connection, runs: Iterable[Run]) -> None:
        """START of each transformer's and ingestion's run that started running."""
        for run in runs:
            if run.kind in KINDS:
                await self._emit(connection, run, "START", run.started_at)

    async def ended(self, connection: asyncpg.Connection, runs: Iterable[Run]) -> None:
        """COMPLETE or FAIL of each transformer's and ingestion's run that ended (a cancelled
        one only when it had started)."""
        for run in runs:
            if run.kind not in KINDS or not run.ended:
                continue
            if run.state is RunState.CANCELLED and run.started_at is None:
                continue  # it never sent a START: nothing ran, nothing to close
            await self._emit(connection, run, ended_event_type(run.state), run.finished_at)

    async def _emit(
        self, connection: asyncpg.Connection, run: Run, event_type: EventType, at: datetime | None
    ) -> None:
        event = run_event(
            event_type,
            run_id=run.id,
            kind=KINDS[run.kind],
            target=run.target,
            event_time=at or datetime.now(UTC),
            model=await self._model(connection, run),
            namespace=self.namespace,
            producer=self.producer,
            warehouse=self.warehouse,
            error=run.reason if event_type == "FAIL" else None,
            nominal_time=nominal_time(run),
        )
        await emit(connection, EVENT_TYPE, f"run/{run.id}", event)

    async def _model(self, connection: asyncpg.Connection, run: Run) -> Model:
        """The run's model version; an empty model (no datasets) when it cannot be read."""
        if run.version_id is None:
            why = "it names no model version"
        else:
            try:  # in a savepoint: a failed read leaves the run's change to commit
                async with connection.transaction():
                    return await self.model_of(connection, run.version_id)
            except Exception as error:  # lineage never fails a run
                why = f"model version {run.version_id} could not be read: {error}"
        log.warning(
            "the OpenLineage events of run %s (%s %s) are sent without datasets: %s",
            run.id, run.kind.value, run.target, why,
            extra={"run_id": run.id, "target": run.target, "version_id": run.version_id},
        )  # fmt: skip
        return Model()


def nominal_time(run: Run) -> datetime | None:
    """The minute a cron run was due (its tick key), None for any other run."""
    if run.trigger != "schedule" or run.idempotency_key is None:
        return None
    try:
        return datetime.strptime(run.idempotency_key, TICK).replace(tzinfo=UTC)
    except ValueError:
        return None
