"""The example on the embedded default: examples/acme loaded and active on a fresh start, its
transformers' modules on the python path, ReferenceData's source made and filled, the other raw
tables seeded (app/resources.py starts it; `ecoplane ingestion` finds the same source)."""

from __future__ import annotations

import logging
from pathlib import Path

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import store_model
from app.db.model_versions import active_version_id
from app.ecosystem.loader import load_directory
from app.ecosystem.model import Model
from app.examples.seeder import seed_if_missing, seed_rows
from app.examples.source_db import (
    EXAMPLE_DATASTORE,
    ExampleSource,
    example_source,
    seed_example_source,
    with_example_source,
)
from app.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "acme"
log = logging.getLogger("ecoplane")


def uses_example(settings: Settings) -> bool:
    """Whether the example is this start's model: the embedded default, examples/acme there."""
    return settings.embedded and settings.load_example and EXAMPLE.is_dir()


def with_example_sources(settings: Settings, url: str) -> Settings:
    """The settings with the example's source reachable on the embedded server at `url`, for a
    process that starts ingestions other than the service (`ecoplane ingestion`): its worker
    must find ReferenceData's source where the service's does."""
    if not uses_example(settings):
        return settings
    found = example_source(load_directory(EXAMPLE), url)
    return settings if found is None else with_example_source(settings, found)


def with_example_path(settings: Settings) -> Settings:
    """The settings for the example model when it is used (the embedded default): `examples/`
    on the python path, so that its transformers' modules (acme_transformers.*) are found, and
    and the cron ingestion of ReferenceData alone unless asked for otherwise (only its source
    is reachable, on the embedded server: every tick of the others would record a failed run)."""
    if not uses_example(settings):
        return settings
    update: dict[str, object] = {}
    if EXAMPLE.parent not in settings.python_path:
        update["python_path"] = [*settings.python_path, EXAMPLE.parent]
    if "ingestion_schedule" not in settings.model_fields_set:
        update["ingestion_schedule"] = (EXAMPLE_DATASTORE,)
    return settings.model_copy(update=update) if update else settings


async def load_example(
    settings: Settings,
    engine: AsyncEngine,
    pool: asyncpg.Pool,
    model: Model,
    source: tuple[str, ExampleSource] | None,
) -> None:
    """The example on a fresh embedded default: acme stored and active, its raw tables seeded
    but those of the datastore ingested for real, whose source database is made and filled."""
    if await active_version_id(pool) is None:
        stored = await store_model(engine, model, source=str(EXAMPLE))
        log.info("loaded the example model as version %s", stored.id)
    sourced = frozenset([EXAMPLE_DATASTORE]) if source else frozenset()
    if source is not None:
        await seed_example_source(settings, source[0], model, source[1], lambda: seed_rows(model))
    seeded = await seed_if_missing(settings, model, sourced=sourced)
    if seeded is not None:
        log.info(
            "seeded the example's raw tables in the warehouse: %s",
            f"{seeded.rows} rows in {len(seeded.tables)} tables",
        )
