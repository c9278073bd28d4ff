"""Rules on a datastore's ingestion: the source engine, the watermark column."""

from __future__ import annotations

from app.ecosystem.model import Datastore
from app.ecosystem.problems import Problems
from app.ecosystem.spec.datastore import IngestionKind

SQL_KINDS = (IngestionKind.SQL_SNAPSHOT, IngestionKind.SQL_WATERMARK)
SOURCE_ENGINES = ("postgres", "mysql")


def check_ingestion(store: Datastore, problems: Problems) -> None:
    """Report an SQL source of an unknown engine, or a watermark column a dataset lacks."""
    ingestion = store.ingestion
    if ingestion is None or ingestion.kind not in SQL_KINDS:
        return
    engine = ingestion.source.get("engine")
    if engine is not None and engine not in SOURCE_ENGINES:
        problems.error(
            "unsupported-source-engine",
            f"datastore {store.name!r} reads from engine {engine!r}; ecoplane ingests from "
            f"{' or '.join(SOURCE_ENGINES)}",
            store.source.at("ingestion", "source", "engine"),
            f"{store.path}/ingestion/source",
        )
    if ingestion.watermark is None:
        return
    for i, dataset in enumerate(store.body.datasets):
        if ingestion.watermark not in {c.name for c in dataset.columns}:
            problems.error(
                "unknown-watermark-column",
                f"dataset {dataset.name!r} has no column {ingestion.watermark!r}, the watermark "
                f"of datastore {store.name!r}",
                store.source.at("datasets", i, "name"),
                f"{store.path}/datasets/{dataset.name}",
            )
