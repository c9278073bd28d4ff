"""OpenLineage run events of transformer and ingestion runs: pure, one dict per event, no I/O.

A run is one OpenLineage job run: START when it starts, COMPLETE or FAIL when it ends, all with
one `runId` derived from the ecoplane run id and the installation. Its inputs and outputs are
the datasets of `lineage_datasets.py`. The dicts follow the OpenLineage 2-0-2 RunEvent and its
facets (`lineage_spec.py`); the delivery (the outbox) posts them as they are to a
Marquez-compatible `/api/v1/lineage`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from app.db.run_table import RunState
from app.ecosystem.model import Model
from app.events.lineage_datasets import RunDatasets, WarehouseAddress
from app.events.lineage_datasets import warehouse_address as warehouse_address
from app.events.lineage_datasets import warehouse_namespace as warehouse_namespace
from app.events.lineage_spec import PRODUCER as PRODUCER
from app.events.lineage_spec import RUN_EVENT_SCHEMA, facet

EventType = Literal["START", "COMPLETE", "FAIL"]
RunKind = Literal["transformer", "ingestion"]

DEFAULT_NAMESPACE = "ecoplane"  # the jobs' namespace: one per installation
MAX_ERROR_CHARS = 4000  # an errorMessage longer than this is cut


def run_uuid(run_id: int, namespace: str, warehouse: WarehouseAddress) -> str:
    """The OpenLineage runId of an ecoplane run: the same for its START and its end, and another
    in another installation (namespace and warehouse) whose run has the same id."""
    installation = f"{namespace}|{warehouse.namespace}/{warehouse.database}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ecoplane:{installation}:run:{run_id}"))


def ended_event_type(state: RunState) -> EventType:
    """The event a run that ended in `state` sends: COMPLETE when it succeeded, else FAIL
    (failed, timed out, cancelled or lost: its reason is the errorMessage)."""
    if state in (RunState.QUEUED, RunState.RUNNING):
        raise ValueError(f"a run in state {state.value!r} has not ended")
    return "COMPLETE" if state is RunState.SUCCEEDED else "FAIL"


def run_event(
    event_type: EventType,
    *,
    run_id: int,
    kind: RunKind,
    target: str,
    event_time: datetime,
    model: Model,
    namespace: str,
    producer: str,
    warehouse: WarehouseAddress,
    error: str | None = None,
    nominal_time: datetime | None = None,
) -> dict[str, Any]:
    """The OpenLineage RunEvent of a transformer's or an ingestion's run, as a JSON-ready dict.

    `target` is the transformer's or the datastore's name in `model` (the version the run ran);
    one the model no longer has gets an event without datasets. `error` (FAIL) becomes the
    errorMessage facet as given: pass the run's reason, never its unmasked log tail.
    `nominal_time` (a cron run's scheduled minute) becomes the nominalTime facet.
    """
    if event_type not in get_args(EventType):
        raise ValueError(f"OpenLineage event type {event_type!r}: use START, COMPLETE or FAIL")
    if kind not in get_args(RunKind):
        raise ValueError(f"run kind {kind!r} sends no OpenLineage event: transformer or ingestion")
    reader = RunDatasets(model, warehouse, producer)
    inputs, outputs = (
        reader.transformer(target) if kind == "transformer" else reader.ingestion(target)
    )
    return {
        "eventType": event_type,
        "eventTime": _instant(event_time, "event_time"),
        "producer": producer,
        "schemaURL": RUN_EVENT_SCHEMA,
        "run": {
            "runId": run_uuid(run_id, namespace, warehouse),
            "facets": _run_facets(event_type, kind, model, target, error, nominal_time, producer),
        },
        "job": {
            "namespace": namespace,
            "name": f"{kind}.{target}",
            "facets": _job_facets(kind, model, target, producer),
        },
        "inputs": inputs,
        "outputs": outputs,
    }


def _instant(moment: datetime, what: str) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"{what} {moment.isoformat()} has no time zone: give an aware datetime")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _run_facets(
    event_type: EventType,
    kind: RunKind,
    model: Model,
    target: str,
    error: str | None,
    nominal_time: datetime | None,
    producer: str,
) -> dict[str, Any]:
    facets: dict[str, Any] = {}
    if nominal_time is not None:
        start = _instant(nominal_time, "nominal_time")
        facets["nominalTime"] = facet("nominalTime", producer, nominalStartTime=start)
    if event_type == "FAIL":
        message = (error or "the run failed")[:MAX_ERROR_CHARS]
        language = _language(kind, model, target)
        facets["errorMessage"] = facet(
            "errorMessage", producer, message=message, programmingLanguage=language
        )
    return facets


def _language(kind: RunKind, model: Model, target: str) -> str:
    """The language of the failed code: the ingest worker and python transformers are Python."""
    if kind == "ingestion":
        return "python"
    transformer = model.transformers.get(target)
    if transformer is None or transformer.spec.code.kind == "container":
        return "unknown"
    return "python"


def _job_facets(kind: RunKind, model: Model, target: str, producer: str) -> dict[str, Any]:
    facets: dict[str, Any] = {
        "jobType": facet(
            "jobType",
            producer,
            processingType="BATCH",
            integration="ECOPLANE",
            jobType=kind.upper(),
        )
    }
    if kind == "transformer":
        transformer = model.transformers.get(target)
        description = transformer.spec.description if transformer else None
    else:
        store = model.datastores.get(target)
        description = store.description if store else None
    if description:
        facets["documentation"] = facet("documentation", producer, description=description)
    return facets
