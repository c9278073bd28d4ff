"""OpenLineage run events of transformer and ingestion runs: pure, one dict per event, no I/O.

A run is one OpenLineage job run: START when it starts, COMPLETE or FAIL when it ends, all with
one `runId` derived from the ecoplane run id. The datasets are warehouse tables, named the way
OpenLineage names Postgres tables (namespace `postgres://host:port`, name
`database.schema.table`), so what an ingestion writes is what a transformer reads in a lineage
graph. The dicts follow the OpenLineage 2-0-2 RunEvent and its facets; the delivery (the outbox)
posts them as they are to a Marquez-compatible `/api/v1/lineage`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from typing import Any, Literal, get_args

from sqlalchemy.engine import make_url

from app.db.embedded import WAREHOUSE_DATABASE
from app.ecosystem.model import Model
from app.ecosystem.names import dataset_table, output_schema, physical
from app.ecosystem.spec.datastore import Dataset, Ingestion
from app.settings import Settings

EventType = Literal["START", "COMPLETE", "FAIL"]
RunKind = Literal["transformer", "ingestion"]

SPEC = "https://openlineage.io/spec"
RUN_EVENT_SCHEMA = f"{SPEC}/2-0-2/OpenLineage.json#/$defs/RunEvent"
# the facets sent, with the version of their schema (those the OpenLineage Python client 1.54 knows)
FACET_SCHEMAS = {
    "jobType": f"{SPEC}/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet",
    "documentation": f"{SPEC}/facets/1-1-0/DocumentationJobFacet.json#/$defs/DocumentationJobFacet",
    "schema": f"{SPEC}/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
    "errorMessage": f"{SPEC}/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet",
    "nominalTime": f"{SPEC}/facets/1-0-1/NominalTimeRunFacet.json#/$defs/NominalTimeRunFacet",
}
DEFAULT_NAMESPACE = "ecoplane"  # the jobs' namespace: one per installation
MAX_ERROR_CHARS = 4000  # an errorMessage longer than this is cut (Marquez keeps it per run)
SOURCE_SCHEMES = {"postgres": "postgres", "postgresql": "postgres", "mysql": "mysql"}
DEFAULT_PORTS = {"postgres": 5432, "mysql": 3306}


def _version() -> str:
    try:
        return metadata.version("ecoplane")
    except metadata.PackageNotFoundError:  # run from a checkout that is not installed
        return "dev"


PRODUCER = f"https://ecoplane.io/ecoplane/{_version()}"  # the `producer` URI of every event


@dataclass(frozen=True, slots=True)
class WarehouseAddress:
    """Where the warehouse's datasets live for OpenLineage: `postgres://host:port` and a database."""

    namespace: str
    database: str


def warehouse_address(settings: Settings) -> WarehouseAddress:
    """The warehouse of the settings: `ECOPLANE_WAREHOUSE_URL`, else database `warehouse` beside
    the control plane (the embedded server is `postgres://localhost:5432`). No password, ever."""
    if settings.warehouse_url:
        return address_of_url(settings.warehouse_url)
    if settings.database_url:
        return WarehouseAddress(address_of_url(settings.database_url).namespace, WAREHOUSE_DATABASE)
    return WarehouseAddress("postgres://localhost:5432", WAREHOUSE_DATABASE)


def warehouse_namespace(settings: Settings) -> str:
    """The OpenLineage namespace of the warehouse's datasets: `postgres://<host>:<port>`."""
    return warehouse_address(settings).namespace


def address_of_url(url: str) -> WarehouseAddress:
    """`postgres://host:port` and the database of a Postgres URL; a socket directory is localhost."""
    parsed = make_url(url)
    query_host = parsed.query.get("host")
    host = parsed.host or (query_host if isinstance(query_host, str) else None) or "localhost"
    if host.startswith("/"):  # a Unix socket directory: the server is on this machine
        host = "localhost"
    return WarehouseAddress(
        _namespace("postgres", host, parsed.port), parsed.database or "postgres"
    )


def _namespace(scheme: str, host: str, port: int | None) -> str:
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"{scheme}://{shown.lower()}:{port or DEFAULT_PORTS.get(scheme, 5432)}"


def run_uuid(run_id: int, namespace: str, warehouse: WarehouseAddress) -> str:
    """The OpenLineage runId of an ecoplane run: the same for its START and its end, and another
    in another installation (namespace and warehouse) whose run has the same id."""
    installation = f"{namespace}|{warehouse.namespace}/{warehouse.database}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ecoplane:{installation}:run:{run_id}"))


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
    errorMessage facet; `nominal_time` (a cron run's scheduled minute) the nominalTime facet.
    """
    if event_type not in get_args(EventType):
        raise ValueError(f"OpenLineage event type {event_type!r}: use START, COMPLETE or FAIL")
    if kind not in get_args(RunKind):
        raise ValueError(f"run kind {kind!r} sends no OpenLineage event: transformer or ingestion")
    reader = _Datasets(model, warehouse, producer)
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


def _facet(name: str, producer: str, **fields: Any) -> dict[str, Any]:
    return {"_producer": producer, "_schemaURL": FACET_SCHEMAS[name], **fields}


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
        facets["nominalTime"] = _facet("nominalTime", producer, nominalStartTime=start)
    if event_type == "FAIL":
        message = (error or "the run failed")[:MAX_ERROR_CHARS]
        language = _language(kind, model, target)
        facets["errorMessage"] = _facet(
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
        "jobType": _facet(
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
        facets["documentation"] = _facet("documentation", producer, description=description)
    return facets


@dataclass(frozen=True, slots=True)
class _Datasets:
    """The OpenLineage datasets of a version's transformers and ingestions."""

    model: Model
    warehouse: WarehouseAddress
    producer: str

    def transformer(self, name: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """What a transformer reads (the tables behind its workspace's sinks) and writes."""
        transformer = self.model.transformers.get(name)
        if transformer is None:
            return [], []
        inputs = []
        for store_name, dataset_name in self._sunk(transformer.workspace):
            store = self.model.datastores.get(store_name)
            dataset = store.datasets.get(dataset_name) if store else None
            if store is not None and dataset is not None:
                table = dataset_table(store_name, dataset_name, store.producer)
                inputs.append(self._warehouse_table(table, dataset))
        schema = output_schema(name)
        outputs = [
            self._warehouse_table((schema, physical(d.name)), d)
            for d in transformer.spec.output.datasets
        ]
        return inputs, outputs

    def ingestion(self, name: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """What an ingestion reads (its source's tables) and writes (its raw tables)."""
        store = self.model.datastores.get(name)
        if store is None:
            return [], []
        datasets = store.body.datasets
        source = _source(store.ingestion) if store.ingestion else None
        inputs = []
        if source is not None:
            namespace, database, schema = source
            for d in datasets:
                parts = (
                    [database, schema, d.table_at_source]
                    if schema
                    else [database, d.table_at_source]
                )
                inputs.append(self._dataset(namespace, ".".join(parts), d, in_warehouse=False))
        outputs = [self._warehouse_table(dataset_table(name, d.name, None), d) for d in datasets]
        return inputs, outputs

    def _sunk(self, workspace: str) -> Iterable[tuple[str, str]]:
        """The datasets a workspace sinks, each once, in the order it declares them."""
        found = self.model.workspaces.get(workspace)
        sinks = [s for g in found.spec.dataset_groups for s in g.sinks] if found else []
        return dict.fromkeys((s.datastore, s.dataset) for s in sinks)

    def _warehouse_table(self, table: tuple[str, str], dataset: Dataset) -> dict[str, Any]:
        name = f"{self.warehouse.database}.{table[0]}.{table[1]}"
        return self._dataset(self.warehouse.namespace, name, dataset, in_warehouse=True)

    def _dataset(
        self, namespace: str, name: str, dataset: Dataset, *, in_warehouse: bool
    ) -> dict[str, Any]:
        """A dataset with the schema facet of its modelled columns: in the warehouse under their
        physical names, at a source under their modelled names (the ingestion matches those)."""
        fields = [
            {"name": physical(c.name) if in_warehouse else c.name, "type": c.type}
            | ({"description": c.description} if c.description else {})
            for c in dataset.columns
        ]
        return {
            "namespace": namespace,
            "name": name,
            "facets": {"schema": _facet("schema", self.producer, fields=fields)},
        }


def _source(ingestion: Ingestion) -> tuple[str, str, str] | None:
    """The namespace, database and schema of an ingestion's SQL source (as the ingestion's
    `Endpoint.of` reads `ingestion.source`), or None when it names no SQL database."""
    source = ingestion.source
    engine = str(source.get("engine", "postgres")).lower()
    host, database = source.get("host"), source.get("database")
    if engine not in SOURCE_SCHEMES or not host or not database:
        return None
    scheme = SOURCE_SCHEMES[engine]
    given = source.get("port")
    port = int(given) if isinstance(given, int | str) and str(given).isdigit() else None
    schema = str(source.get("schema", "" if scheme == "mysql" else "public"))
    return _namespace(scheme, str(host), port), str(database), schema
