"""Rebuilding a stored version as a Model: the diff against the loaded model is empty."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.rebuild import model_of_version
from app.catalog.store import store_model
from app.db.urls import asyncpg_dsn
from app.ecosystem.builtins import EXPORT_TRANSFORMER, MODEL_DATASTORE
from app.ecosystem.diff import diff_models
from app.ecosystem.generate import GeneratorSize, generate_model
from app.ecosystem.loader import load_directory, load_texts
from app.ecosystem.model import Model
from app.errors import NotFoundError
from tests.conftest import EXAMPLES
from tests.ecosystem.modeltext import BASE, CUSTOMERS, files


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A bare connection (no jsonb codec: labels come back as text)."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    yield connection
    await connection.close()


async def round_trip(engine: AsyncEngine, db: asyncpg.Connection, model: Model) -> Model:
    """Store the model, rebuild it, and check that nothing differs, either way round."""
    assert model.errors == 0, [p.as_line() for p in model.problems]
    stored = await store_model(engine, model, source="test")
    rebuilt = await model_of_version(db, stored.id)
    assert diff_models(model, rebuilt) == [] and diff_models(rebuilt, model) == []
    return rebuilt


async def test_acme_round_trips(engine: AsyncEngine, db: asyncpg.Connection) -> None:
    model = load_directory(EXAMPLES / "acme")
    rebuilt = await round_trip(engine, db, model)
    assert rebuilt.content_hash == model.content_hash
    assert [p.as_dict() for p in rebuilt.problems] == [p.as_dict() for p in model.problems]
    assert set(rebuilt.datastores) == set(model.datastores)
    assert rebuilt.datastores[MODEL_DATASTORE].builtin
    assert rebuilt.transformers[EXPORT_TRANSFORMER].builtin
    assert rebuilt.locations.keys() == model.locations.keys()
    assert rebuilt.zones.keys() == model.zones.keys()
    for name, zone in model.zones.items():
        assert rebuilt.zones[name].teams.keys() == zone.teams.keys()
        assert rebuilt.zones[name].description == zone.description


async def test_the_ecosystem_owners_are_stored_and_rebuilt(
    engine: AsyncEngine, db: asyncpg.Connection
) -> None:
    rebuilt = await round_trip(engine, db, load_directory(EXAMPLES / "acme"))
    assert rebuilt.ecosystem is not None
    assert rebuilt.ecosystem.spec.owners == ["github:@acme/data-governance-office"]
    owners = await db.fetchval("SELECT owners FROM current_ecosystems")
    assert owners == ["github:@acme/data-governance-office"]


async def test_base_model_round_trips(engine: AsyncEngine, db: asyncpg.Connection) -> None:
    rebuilt = await round_trip(engine, db, load_texts(files()))
    original = load_texts(dict(BASE))
    assert rebuilt.datastores["MaskedCustomers"].producer == "MaskCustomers"
    assert rebuilt.classifications == original.classifications
    assert rebuilt.data_platforms == original.data_platforms


async def test_generated_model_round_trips(
    engine: AsyncEngine, db: asyncpg.Connection, tmp_path: Path
) -> None:
    size = GeneratorSize(datastores=12, workspaces=8, transformers=3, sinks_per_workspace=10)
    generate_model(tmp_path, size)
    rebuilt = await round_trip(engine, db, load_directory(tmp_path))
    assert len(rebuilt.transformers) == 3 + 1  # the builtin export too


async def test_rich_details_round_trip(engine: AsyncEngine, db: asyncpg.Connection) -> None:
    """Requirements, column sinks, deprecation, labels, python code and external triggers."""
    workspace = """\
        apiVersion: ecoplane.io/v1
        kind: Workspace
        metadata: {name: Reports, zone: USA, team: Analytics, labels: {tier: gold}}
        spec:
          datasetGroups:
            - name: picky
              requirements: {retention: forensic}
              sinks:
                - {datastore: Customers, dataset: customers, columns: [id, country]}
          transformer:
            name: Summarise
            description: sums things up
            trigger: {onInputChange: true}
            code: {python: {module: acme.summarise}}
            resources: {cpu: 250m}
            retries: 2
            output:
              name: Summary
              labels: {kind: derived}
              deprecated: true
              deprecationReason: use the new one
              datasets:
                - name: totals
                  columns: [{name: n, type: integer}]
        """
    model = load_texts(files({"zones/usa/reports.yaml": workspace}))
    rebuilt = await round_trip(engine, db, model)
    assert rebuilt.workspaces["Reports"].labels == {"tier": "gold"}
    assert rebuilt.datastores["Summary"].labels == {"kind": "derived"}


async def test_a_version_without_a_stored_model_is_not_found(
    engine: AsyncEngine, db: asyncpg.Connection
) -> None:
    with pytest.raises(NotFoundError, match="model version 99 does not exist"):
        await model_of_version(db, 99)
    broken = load_texts(files({"zones/usa/zone.yaml": None}))
    rejected = await store_model(engine, broken, source="test")
    with pytest.raises(NotFoundError, match="rejected"):
        await model_of_version(db, rejected.id)


async def test_ingestion_milestoning_watermark_and_source_table_round_trip(
    engine: AsyncEngine, db: asyncpg.Connection
) -> None:
    """What a data ingestion reads of the model survives storing (it runs on the stored model)."""
    store = (
        CUSTOMERS.replace("kind: sql-snapshot", "kind: sql-watermark")
        .replace("credential: crm_reader", "credential: crm_reader\n    milestoning: forensic")
        .replace("credential: crm_reader", "credential: crm_reader\n    watermark: id")
        .replace("- name: customers", "- name: customers\n      sourceTable: crm_customers")
    )
    rebuilt = await round_trip(engine, db, load_texts(files({"zones/usa/customers.yaml": store})))
    ingestion = rebuilt.datastores["Customers"].ingestion
    assert ingestion is not None and ingestion.milestoning == "forensic"
    assert ingestion.watermark == "id"
    assert rebuilt.datastores["Customers"].body.datasets[0].source_table == "crm_customers"
