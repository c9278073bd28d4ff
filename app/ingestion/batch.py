"""One batch of a datastore: source checked, streamed into staging, merged, all or nothing."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import asyncpg

from app.ecosystem.model import Datastore
from app.ecosystem.spec.datastore import IngestionKind, Milestoning
from app.errors import AppError
from app.ingestion import batches
from app.ingestion.batches import BatchRecord, BatchResult
from app.ingestion.changes import keyed, write_changes
from app.ingestion.merge import (
    MERGE_JOIN,
    PLANNER_DEFAULTS,
    WORK_MEM,
    Counts,
    create_stage,
    key_stage,
    merge,
    stage_name,
)
from app.ingestion.reader import SourceReader, Target
from app.ingestion.snapshot import compare_snapshot, merge_compared, staged_why
from app.ingestion.source import Endpoint, PostgresReader, SourceLogin
from app.ingestion.tables import (
    BATCH_IN,
    IngestionError,
    RawTable,
    raw_tables,
    runnable_ingestion,
)
from app.ingestion.warehouse import evolution
from app.security.objects import RAW_SCHEMA
from app.security.warehouses.postgres_sql import quote_ident

logger = logging.getLogger(__name__)


async def _open_mysql(endpoint: Endpoint, login: SourceLogin) -> SourceReader:
    """A MySQL/MariaDB source: its driver (asyncmy, and the cryptography it loads: about a
    second of a worker's start) imported only by a batch that reads one."""
    from app.ingestion.source_mysql import MysqlReader

    return await MysqlReader.open(endpoint, login)


READERS: dict[str, Callable[[Endpoint, SourceLogin], Awaitable[SourceReader]]] = {
    "postgres": PostgresReader.open,
    "mysql": _open_mysql,
}  # by source.engine


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
    if plan.endpoint.engine not in READERS:
        raise IngestionError(f"source engine {plan.endpoint.engine!r} is not run")
    source = await READERS[plan.endpoint.engine](plan.endpoint, login)
    try:
        await _check_source(source, plan)
        try:
            async with warehouse.transaction():
                return await _stage_and_merge(source, warehouse, plan, number)
        except (asyncpg.PostgresError, OSError) as error:
            raise IngestionError(f"the batch was rolled back: {_reason(error)}") from None
    finally:
        await source.close()


async def _check_source(source: SourceReader, plan: Plan) -> None:
    """Any difference of the source's tables from the model fails the batch."""
    differences = []
    for table in plan.tables:
        differences += await source.differences(table, await source.columns(table))
    if differences:
        raise IngestionError(
            f"the source of datastore {plan.store.name!r} differs from the model: "
            + "; ".join(differences)
        )


async def _stage_and_merge(
    source: SourceReader,
    warehouse: asyncpg.Connection,
    plan: Plan,
    number: int,
) -> BatchResult:
    await warehouse.execute(
        "SELECT pg_advisory_xact_lock(hashtext($1))", f"ecoplane-ingestion:{plan.store.name}"
    )
    await warehouse.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
    await _prepare(warehouse, plan.tables)
    started, staged, straight, compared = time.perf_counter(), {}, set(), set()
    printing = await source.printing() if plan.watermark is None else None
    for table in plan.tables:
        after = plan.after.get(table.dataset)
        if await warehouse.fetchval(f"SELECT NOT EXISTS (SELECT 1 FROM {table.qualified})"):
            straight.add(table.name)  # every row is new: no staging, no merge
            with keyed(table):
                staged[table.name] = await source.copy(
                    table, after, plan.watermark, warehouse, _into_raw(table, number)
                )
            continue
        if printing is not None:
            if (why := staged_why(table, printing)) is None:
                compared.add(table.name)  # only the rows that differ are staged
                staged[table.name] = await compare_snapshot(source, warehouse, table, printing)
                continue
            logger.info(  # the slower way, and why: an operator can mend the cause
                "snapshot of %s.%s staged whole: %s", table.datastore, table.dataset, why,
                extra={"datastore": table.datastore, "dataset": table.dataset, "batch": number},
            )  # fmt: skip
        target = Target(stage_name(table))
        staged[table.name] = await source.copy(table, after, plan.watermark, warehouse, target)
        with keyed(table):
            await warehouse.execute(key_stage(table))
    read = time.perf_counter() - started
    tables, watermarks = {}, dict(plan.after)
    for table in plan.tables:
        if table.name in straight:
            tables[table.dataset] = Counts(inserted=staged[table.name])
            relation = table.qualified
        elif table.name in compared:
            tables[table.dataset] = await merge_compared(
                warehouse, table, number, staged[table.name]
            )
            continue  # a snapshot: no watermark
        else:
            tables[table.dataset] = await _merge(warehouse, table, number, staged[table.name], plan)
            relation = quote_ident(stage_name(table))
        if plan.watermark and (
            reached := await _reached(warehouse, relation, table, plan.watermark)
        ):
            watermarks[table.dataset] = reached
    return BatchResult(tables, watermarks, read, time.perf_counter() - started - read)


def _into_raw(table: RawTable, number: int) -> Target:
    """An empty raw table as the target of its first batch; a forensic one's rows get this
    batch as `ecoplane_batch_in`, appended to every row (the di_ role may not set a default)."""
    columns = tuple(c.physical for c in table.columns)
    if table.milestoning is Milestoning.FORENSIC:
        return Target(table.name, RAW_SCHEMA, (*columns, BATCH_IN), number)
    return Target(table.name, RAW_SCHEMA, columns)


async def _prepare(warehouse: asyncpg.Connection, tables: list[RawTable]) -> None:
    """Stage every table, then check every raw table against the model: the batch changes no
    table's shape (the security sync does), so one that differs fails it before any write."""
    behind, problems = [], []
    for table in tables:
        await warehouse.execute(create_stage(table))
        late, wrong = await evolution(warehouse, table)
        behind += late
        problems += wrong
    if problems:
        raise IngestionError("the raw tables cannot follow the model: " + "; ".join(problems))
    if behind:
        raise IngestionError(
            "the security sync has not applied the model to the raw tables yet: "
            + "; ".join(behind)
            + " (the sync creates and evolves them; run it, then ingest again)"
        )


async def _merge(
    warehouse: asyncpg.Connection, table: RawTable, number: int, staged: int, plan: Plan
) -> Counts:
    """Find the changed rows in one pass, then write only those."""
    statements = merge(table, number, snapshot=plan.watermark is None)
    await warehouse.execute(MERGE_JOIN)
    await warehouse.execute(statements.changes)
    await warehouse.execute(PLANNER_DEFAULTS)
    return Counts.of(await write_changes(warehouse, statements), staged)


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
