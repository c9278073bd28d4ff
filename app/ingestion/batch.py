"""One batch of a datastore: source checked, streamed into staging, merged, all or nothing."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import asyncpg

from app.ecosystem.model import Datastore
from app.ecosystem.spec.datastore import IngestionKind, Milestoning
from app.errors import AppError
from app.ingestion import batches
from app.ingestion.batches import BatchRecord, BatchResult
from app.ingestion.merge import Counts, affected, create_stage, key_stage, merge, stage_name
from app.ingestion.source import (
    Endpoint,
    SourceLogin,
    copy_query,
    open_postgres,
    pipe,
    source_columns,
    source_differences,
)
from app.ingestion.tables import (
    BATCH_IN,
    IngestionError,
    RawTable,
    raw_tables,
    runnable_ingestion,
)
from app.ingestion.warehouse import evolution
from app.security.desired import RAW_SCHEMA
from app.security.warehouses.postgres_sql import quote_ident

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Plan:
    """What a batch reads and writes: the tables, the source, the last watermarks."""

    store: Datastore
    tables: list[RawTable]
    endpoint: Endpoint
    watermark: str | None  # the column, for sql-watermark
    after: dict[str, str]  # the watermark each dataset reached before


async def run_batch(
    control: asyncpg.Connection,
    warehouse: asyncpg.Connection,
    store: Datastore,
    login: SourceLogin,
    run_id: int | None = None,
    hosts: Mapping[str, str] | None = None,
) -> BatchRecord:
    """Ingest one batch of a datastore (its source host mapped by `hosts`, ECOPLANE_SOURCE_HOSTS);
    a failure is recorded and raised, the warehouse untouched."""
    ingestion = runnable_ingestion(store)
    watermark = ingestion.watermark if ingestion.kind is IngestionKind.SQL_WATERMARK else None
    if ingestion.kind is IngestionKind.SQL_WATERMARK and watermark is None:
        raise IngestionError(
            f"datastore {store.name!r} is sql-watermark without ingestion.watermark"
        )
    plan = Plan(
        store,
        raw_tables(store),
        Endpoint.of(store.name, ingestion, hosts),
        watermark,
        await batches.last_watermarks(control, store.name) if watermark else {},
    )
    batch = await batches.start_batch(
        control, store.name, ingestion.kind.value, ingestion.milestoning.value, run_id
    )
    ids = {"datastore": store.name, "batch": batch.number, "run_id": run_id}
    try:
        result = await _move(plan, batch.number, warehouse, login)
    except AppError as error:
        await batches.fail_batch(control, batch.id, error.detail)
        logger.warning("ingestion batch failed: %s", error.detail, extra=ids)
        raise
    await batches.finish_batch(control, batch.id, result)
    logger.info("ingestion batch committed", extra=ids | batches.vars_of(result.counts))
    return await _record(control, batch.id)


async def _record(control: asyncpg.Connection, batch_id: int) -> BatchRecord:
    row = await control.fetchrow(f"SELECT {batches.FIELDS} FROM batches WHERE id = $1", batch_id)
    assert row is not None
    return BatchRecord.from_row(row)


async def _move(
    plan: Plan, number: int, warehouse: asyncpg.Connection, login: SourceLogin
) -> BatchResult:
    if plan.endpoint.engine != "postgres":
        raise IngestionError(f"source engine {plan.endpoint.engine!r} is not run yet")
    source = await open_postgres(plan.endpoint, login)
    try:
        found = await _checked_source(source, plan)
        try:
            async with warehouse.transaction():
                return await _stage_and_merge(source, warehouse, plan, found, number)
        except (asyncpg.PostgresError, OSError) as error:
            raise IngestionError(f"the batch was rolled back: {_reason(error)}") from None
    finally:
        await source.close()


async def _checked_source(source: asyncpg.Connection, plan: Plan) -> dict[str, dict[str, str]]:
    """The source's columns per table; any difference from the model fails the batch."""
    found, differences = {}, []
    for table in plan.tables:
        found[table.name] = await source_columns(source, plan.endpoint, table)
        differences += await source_differences(source, plan.endpoint, table, found[table.name])
    if differences:
        raise IngestionError(
            f"the source of datastore {plan.store.name!r} differs from the model: "
            + "; ".join(differences)
        )
    return found


async def _stage_and_merge(
    source: asyncpg.Connection,
    warehouse: asyncpg.Connection,
    plan: Plan,
    found: dict[str, dict[str, str]],
    number: int,
) -> BatchResult:
    await warehouse.execute(
        "SELECT pg_advisory_xact_lock(hashtext($1))", f"ecoplane-ingestion:{plan.store.name}"
    )
    await _prepare(warehouse, plan.tables)
    started, staged, direct = time.perf_counter(), {}, set()
    for table in plan.tables:
        after = plan.after.get(table.dataset)
        query = copy_query(plan.endpoint, table, found[table.name], after, plan.watermark)
        if await warehouse.fetchval(f"SELECT NOT EXISTS (SELECT 1 FROM {table.qualified})"):
            direct.add(table.name)  # an empty raw table: every row is new, no merge needed
            staged[table.name] = await _copy_direct(source, query, warehouse, table, number)
            continue
        staged[table.name] = await pipe(source, query, warehouse, stage_name(table))
        await _key(warehouse, table)
    read = time.perf_counter() - started
    tables, watermarks = {}, dict(plan.after)
    for table in plan.tables:
        if table.name in direct:
            tables[table.dataset] = Counts(inserted=staged[table.name])
        else:
            tables[table.dataset] = await _merge(warehouse, table, number, staged[table.name], plan)
        relation = table.qualified if table.name in direct else quote_ident(stage_name(table))
        if plan.watermark and (
            reached := await _reached(warehouse, relation, table, plan.watermark)
        ):
            watermarks[table.dataset] = reached
    return BatchResult(tables, watermarks, read, time.perf_counter() - started - read)


async def _prepare(warehouse: asyncpg.Connection, tables: list[RawTable]) -> None:
    """Stage every table, then check every raw table before changing any."""
    await warehouse.execute("CREATE SCHEMA IF NOT EXISTS raw")
    statements, problems = [], []
    for table in tables:
        await warehouse.execute(create_stage(table))
        more, wrong = await evolution(warehouse, table)
        statements += more
        problems += wrong
    if problems:
        raise IngestionError("the raw tables cannot follow the model: " + "; ".join(problems))
    for statement in statements:
        await warehouse.execute(statement)


async def _key(warehouse: asyncpg.Connection, table: RawTable) -> None:
    """Key the staged rows: a null or repeated key fails the batch, naming the dataset."""
    with _keyed(table):
        await warehouse.execute(key_stage(table))
    await warehouse.execute(f"ANALYZE {quote_ident(stage_name(table))}")


async def _copy_direct(
    source: asyncpg.Connection,
    query: str,
    warehouse: asyncpg.Connection,
    table: RawTable,
    number: int,
) -> int:
    """Stream the source straight into its empty raw table (its key checks every row); a
    forensic table's rows get this batch as `ecoplane_batch_in`."""
    forensic = table.milestoning is Milestoning.FORENSIC
    if forensic:
        await warehouse.execute(
            f"ALTER TABLE {table.qualified} ALTER COLUMN {BATCH_IN} SET DEFAULT {int(number)}"
        )
    columns = [c.physical for c in table.columns]
    with _keyed(table):
        copied = await pipe(source, query, warehouse, table.name, RAW_SCHEMA, columns)
    if forensic:
        await warehouse.execute(
            f"ALTER TABLE {table.qualified} ALTER COLUMN {BATCH_IN} DROP DEFAULT"
        )
    return copied


@contextmanager
def _keyed(table: RawTable) -> Iterator[None]:
    """A null or repeated key among the rows written fails the batch, naming the dataset."""
    where = f"dataset {table.datastore}.{table.dataset}"
    try:
        yield
    except asyncpg.NotNullViolationError as error:
        if error.column_name not in {c.physical for c in table.keys}:
            raise
        keys = ", ".join(c.physical for c in table.keys)
        raise IngestionError(f"{where}: a source row has a null primary key ({keys})") from None
    except asyncpg.UniqueViolationError as error:
        detail = error.detail or ""
        for said in ("is duplicated", "already exists"):
            detail = detail.replace(said, "appears more than once")
        raise IngestionError(f"{where}: a snapshot holds a key twice: {detail}") from None


async def _merge(
    warehouse: asyncpg.Connection, table: RawTable, number: int, staged: int, plan: Plan
) -> Counts:
    statements = merge(table, number, snapshot=plan.watermark is None)
    deleted = affected(await warehouse.execute(statements.delete)) if statements.delete else 0
    updated = affected(await warehouse.execute(statements.update)) if statements.update else 0
    written = affected(await warehouse.execute(statements.insert))
    inserted = written - updated if table.milestoning.value == "forensic" else written
    return Counts(inserted, updated, deleted, staged - inserted - updated)


async def _reached(
    warehouse: asyncpg.Connection, relation: str, table: RawTable, watermark: str
) -> str | None:
    column = next(c for c in table.columns if c.name == watermark)
    value: str | None = await warehouse.fetchval(
        f"SELECT max({column.quoted})::text FROM {relation}"
    )
    return value


def _reason(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error).strip()}"
