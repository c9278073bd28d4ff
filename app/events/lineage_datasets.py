"""The OpenLineage datasets of a run: the warehouse tables it reads and writes, its sources.

Named the way OpenLineage names SQL tables: namespace `postgres://host:port` (`mysql://...`),
name `database.schema.table` (`database.table` for MySQL), so what an ingestion writes is what
a transformer reads in a lineage graph. Each carries the schema facet of its modelled columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from app.db.embedded import WAREHOUSE_DATABASE
from app.ecosystem.model import Model
from app.ecosystem.names import dataset_table, output_schema, physical
from app.ecosystem.spec.datastore import Dataset, Ingestion
from app.events.lineage_spec import facet
from app.settings import Settings

SOURCE_SCHEMES = {"postgres": "postgres", "postgresql": "postgres", "mysql": "mysql"}
DEFAULT_PORTS = {"postgres": 5432, "mysql": 3306}
Datasets = list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class WarehouseAddress:
    """Where the warehouse's datasets live for OpenLineage: `postgres://host:port` and a database."""

    namespace: str
    database: str


def warehouse_address(settings: Settings) -> WarehouseAddress:
    """The warehouse of the settings: `ECOPLANE_WAREHOUSE_URL`, else database `warehouse` beside
    the control plane (the embedded server is `postgres://localhost:5432`). No password, ever."""
    if settings.warehouse_url:
        return address_of_url(settings.warehouse_url, "ECOPLANE_WAREHOUSE_URL")
    if settings.database_url:
        server = address_of_url(settings.database_url, "ECOPLANE_DATABASE_URL")
        return WarehouseAddress(server.namespace, WAREHOUSE_DATABASE)
    return WarehouseAddress("postgres://localhost:5432", WAREHOUSE_DATABASE)


def warehouse_namespace(settings: Settings) -> str:
    """The OpenLineage namespace of the warehouse's datasets: `postgres://<host>:<port>`."""
    return warehouse_address(settings).namespace


def address_of_url(url: str, setting: str = "the warehouse URL") -> WarehouseAddress:
    """`postgres://host:port` and the database of a Postgres URL; a socket directory is localhost.
    A URL that cannot be read is refused naming the setting, never showing the URL."""
    try:
        parsed = make_url(url)
        port = parsed.port
    except (ArgumentError, ValueError):
        raise ValueError(f"{setting} is not a Postgres URL (postgresql://host:port/db)") from None
    query_host = parsed.query.get("host")
    host = parsed.host or (query_host if isinstance(query_host, str) else None) or "localhost"
    if host.startswith("/"):  # a Unix socket directory: the server is on this machine
        host = "localhost"
    return WarehouseAddress(namespace("postgres", host, port), parsed.database or "postgres")


def namespace(scheme: str, host: str, port: int | None) -> str:
    """`<scheme>://<host>:<port>`, the host lower-cased, the scheme's default port when none."""
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"{scheme}://{shown.lower()}:{port or DEFAULT_PORTS.get(scheme, 5432)}"


@dataclass(frozen=True, slots=True)
class RunDatasets:
    """The OpenLineage datasets of a version's transformers and ingestions."""

    model: Model
    warehouse: WarehouseAddress
    producer: str

    def transformer(self, name: str) -> tuple[Datasets, Datasets]:
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

    def ingestion(self, name: str) -> tuple[Datasets, Datasets]:
        """What an ingestion reads (its source's tables) and writes (its raw tables)."""
        store = self.model.datastores.get(name)
        if store is None:
            return [], []
        datasets = store.body.datasets
        source = source_address(store.ingestion) if store.ingestion else None
        inputs = []
        if source is not None:
            at, database, schema = source
            for d in datasets:
                parts = [database, schema] if schema else [database]
                name_at_source = ".".join([*parts, d.table_at_source])
                inputs.append(self._dataset(at, name_at_source, d, in_warehouse=False))
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
        self, at: str, name: str, dataset: Dataset, *, in_warehouse: bool
    ) -> dict[str, Any]:
        """A dataset with the schema facet of its modelled columns: in the warehouse under their
        physical names, at a source under their modelled names (the ingestion matches those)."""
        fields = [
            {"name": physical(c.name) if in_warehouse else c.name, "type": c.type}
            | ({"description": c.description} if c.description else {})
            for c in dataset.columns
        ]
        return {
            "namespace": at,
            "name": name,
            "facets": {"schema": facet("schema", self.producer, fields=fields)},
        }


def source_address(ingestion: Ingestion) -> tuple[str, str, str] | None:
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
    return namespace(scheme, str(host), port), str(database), schema
