"""The raw tables in the warehouse: created from the model, evolved, or refused with the columns."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from app.ecosystem.spec.datastore import Milestoning
from app.ingestion.merge import stage_name
from app.ingestion.tables import BATCH_IN, BATCH_OUT, RawTable, add_column, create_raw_table
from app.security.desired import RAW_SCHEMA
from app.security.warehouses.postgres_sql import quote_ident

COLUMNS = (
    "SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,"
    " a.attnotnull AS not_null, coalesce(a.attnum = ANY(i.indkey), false) AS key"
    " FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary"
    " WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped"
)
MILESTONES = (BATCH_IN, BATCH_OUT)


@dataclass(frozen=True, slots=True)
class Found:
    """A column as the warehouse has it."""

    type: str
    not_null: bool
    key: bool


async def _columns(connection: asyncpg.Connection, relation: str) -> dict[str, Found]:
    rows = await connection.fetch(COLUMNS, relation)
    return {r["name"]: Found(r["type"], r["not_null"], r["key"]) for r in rows}


async def evolution(connection: asyncpg.Connection, table: RawTable) -> tuple[list[str], list[str]]:
    """The statements bringing a raw table to the model, and what cannot be (both may be empty).

    The staging table must exist: its columns are the model's, typed by the warehouse itself.
    """
    wanted = await _columns(connection, quote_ident(stage_name(table)))
    have = await _columns(connection, table.qualified)
    if not have:
        return [create_raw_table(table)], []
    where = f"{RAW_SCHEMA}.{table.name}"
    statements, problems = [], []
    for column in table.columns:
        found, model_type = have.get(column.physical), wanted[column.physical].type
        if found is None and column.nullable and not column.key:
            statements.append(add_column(table, column))
        elif found is None:
            problems.append(f"{where}: new column {column.physical} is not nullable or in the key")
        elif found.type != model_type:
            problems.append(
                f"{where}.{column.physical} is {found.type}, the model says {model_type}"
            )
        elif found.key != column.key:
            problems.append(f"{where}.{column.physical}: the primary key changed")
        elif found.not_null and column.nullable:
            problems.append(f"{where}.{column.physical} is not null, the model allows nulls")
    modelled = {c.physical for c in table.columns} | set(MILESTONES)
    problems += [
        f"{where}.{name} is not in the model and not null"
        for name, found in have.items()
        if name not in modelled and found.not_null
    ]
    forensic = table.milestoning is Milestoning.FORENSIC
    if forensic != (BATCH_IN in have):
        kept = "every version" if BATCH_IN in have else "current rows only"
        problems.append(f"{where} keeps {kept}; the model says {table.milestoning.value}")
    return statements, problems
