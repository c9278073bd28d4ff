"""The raw tables in the warehouse, checked against the model before a batch writes them.

The security sync creates and evolves them (app/security/plan_tables.py); a batch, which runs as
`di_<datastore>` and may change no table's shape, only reads the catalog: a table that is missing
or lacks a new column is behind the model (the sync has not applied it yet); one that cannot
follow the model is named with its columns. Either fails the batch before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from app.ecosystem.spec.datastore import Milestoning
from app.ingestion.merge import stage_name
from app.ingestion.tables import BATCH_IN, BATCH_OUT, RawTable
from app.security.objects import RAW_SCHEMA
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
    """How a raw table is behind the model (the sync will bring it), and what cannot follow it.

    The staging table must exist: its columns are the model's, typed by the warehouse itself.
    """
    wanted = await _columns(connection, quote_ident(stage_name(table)))
    have = await _columns(connection, table.qualified)
    where = f"{RAW_SCHEMA}.{table.name}"
    if not have:
        return [f"{where} does not exist"], []
    behind, problems = [], []
    for column in table.columns:
        found, model_type = have.get(column.physical), wanted[column.physical].type
        if found is None and column.nullable and not column.key:
            behind.append(f"{where} lacks the new column {column.physical}")
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
    return behind, problems
