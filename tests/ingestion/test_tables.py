"""Which datastores ecoplane ingests, and the raw tables they get (pure)."""

from __future__ import annotations

import pytest

from app.ecosystem.loader import load_texts
from app.ecosystem.model import Datastore
from app.ingestion.tables import IngestionError, raw_tables
from app.security.raw import raw_table_specs
from app.security.warehouses.postgres_sql import create_table
from tests.ecosystem.modeltext import CUSTOMERS, files


def _customers(old: str, new: str) -> Datastore:
    model = load_texts(files({"zones/usa/customers.yaml": CUSTOMERS.replace(old, new)}))
    return model.datastores["Customers"]


def test_cdc_and_kafka_are_declared_but_not_run() -> None:
    with pytest.raises(IngestionError, match="ingested by 'cdc', which ecoplane does not run yet"):
        raw_tables(_customers("kind: sql-snapshot", "kind: cdc"))


def test_a_dataset_without_a_primary_key_is_refused() -> None:
    store = _customers("primaryKey: true, nullable: false", "nullable: false")
    with pytest.raises(IngestionError, match=r"Customers\.customers has no primary key"):
        raw_tables(store)


def test_a_forensic_raw_table_is_keyed_by_key_and_batch() -> None:
    store = _customers(
        "credential: crm_reader", "credential: crm_reader\n    milestoning: forensic"
    )
    (table,) = raw_table_specs(store)  # as the security sync creates it
    assert create_table(table) == (
        'CREATE TABLE "raw"."customers__customers" ("id" bigint NOT NULL, "email" varchar(255), '
        '"country" char(2), "balance" numeric(18,4), "ecoplane_batch_in" bigint NOT NULL, '
        '"ecoplane_batch_out" bigint, PRIMARY KEY ("id", "ecoplane_batch_in"))'
        " WITH (fillfactor = 90)"
    )
    assert table.evolves
