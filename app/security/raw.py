"""What ecoplane's ingestion asks of the warehouse (pure): the raw tables of every datastore it
ingests, and the `di_<datastore>` login role that may write exactly those tables.

A raw table `raw.<datastore>__<dataset>` has the dataset's columns, keyed by its primary key;
a forensic one adds `ecoplane_batch_in bigint NOT NULL` and `ecoplane_batch_out bigint` (null
while the row is current) and is keyed by the primary key and `ecoplane_batch_in`. The security
sync creates and evolves them (app/security/plan_tables.py); the ingestion only writes them.
"""

from __future__ import annotations

from app.ecosystem.coltypes import parse_type
from app.ecosystem.model import Datastore, Model
from app.ecosystem.spec.datastore import RUNNABLE_KINDS, Milestoning
from app.security import names
from app.security.objects import RAW_SCHEMA, ColumnSpec, TableSpec

BATCH_IN, BATCH_OUT = "ecoplane_batch_in", "ecoplane_batch_out"  # forensic milestones
MILESTONES = (
    ColumnSpec(BATCH_IN, parse_type("bigint"), nullable=False, primary_key=True),
    ColumnSpec(BATCH_OUT, parse_type("bigint"), nullable=True, primary_key=False),
)
RAW_WRITES = ("SELECT", "INSERT", "UPDATE", "DELETE")  # what di_<datastore> may do to its tables
DATABASE_PRIVILEGES = ("CONNECT", "TEMPORARY")  # TEMPORARY: its staging tables
# Free space left on each page of a raw table: a batch's update of a row (live: its new values;
# forensic: its ecoplane_batch_out) then fits on the row's own page, a HOT update that adds no
# index entry (a 1 % update of 1,000,000 rows: 0.97 s and 72 MB of WAL against 1.43 s and
# 100 MB at 100, measured for docs/ingestion.md).
RAW_FILLFACTOR = 90


def ingested(model: Model) -> list[Datastore]:
    """The datastores ecoplane ingests (sql-snapshot, sql-watermark), by name."""
    return sorted(
        (s for s in model.datastores.values() if s.producer is None and is_ingested(s)),
        key=lambda s: s.name,
    )


def is_ingested(store: Datastore) -> bool:
    """Whether ecoplane runs the datastore's ingestion (so the sync makes its tables and role)."""
    return store.ingestion is not None and store.ingestion.kind in RUNNABLE_KINDS


def forensic(store: Datastore) -> bool:
    """Whether the datastore keeps every version of its rows."""
    return store.ingestion is not None and store.ingestion.milestoning is Milestoning.FORENSIC


def raw_table_specs(store: Datastore) -> list[TableSpec]:
    """The raw tables of an ingested datastore, as the sync creates them (forensic: milestones)."""
    tables = []
    for dataset in store.body.datasets:
        columns = tuple(
            ColumnSpec(names.physical(c.name), parse_type(c.type), c.is_nullable, c.primary_key)
            for c in dataset.columns
        )
        if forensic(store):
            columns += MILESTONES
        tables.append(
            TableSpec(
                RAW_SCHEMA,
                names.raw_table(store.name, dataset.name),
                columns,
                evolves=True,
                purpose=f"dataset {store.name}.{dataset.name}",
                fillfactor=RAW_FILLFACTOR,
            )
        )
    return tables
