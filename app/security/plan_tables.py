"""The plan's tables: create what is missing; bring raw tables to the model, or refuse (pure).

A raw table evolves only by a new nullable column outside the key. Anything else (a column
whose type changed, a new column that is not null or in the key, a changed primary key, a
column the model now allows nulls in that is not null, a column outside the model that is not
null, a change of milestoning) is refused naming every such column: nothing of that table
changes, and the sync fails after applying the rest (app/security/sync.py).
"""

from __future__ import annotations

from collections.abc import Callable

from app.ecosystem.coltypes import ColumnType
from app.security.actual import Actual, Relation
from app.security.desired import Desired, TableSpec
from app.security.operations import ColumnAdd, Phase, Plan
from app.security.raw import BATCH_IN, BATCH_OUT

ColumnTypes = Callable[[ColumnType], str]  # a model type as the warehouse's catalog shows it


def plan_tables(plan: Plan, desired: Desired, actual: Actual, column_type: ColumnTypes) -> None:
    """Create missing tables; evolve raw tables that exist, or refuse them with the columns."""
    for key, table in desired.tables.items():
        found = actual.relations.get(key)
        if found is None:
            plan.add(Phase.TABLES, "create table", ".".join(key), table.purpose, table)
        elif table.evolves:
            _evolve(plan, table, found, column_type)


def _evolve(plan: Plan, table: TableSpec, found: Relation, column_type: ColumnTypes) -> None:
    where = f"{table.schema}.{table.name}"
    if found.kind != "table":
        plan.refused.append(f"{where} is a {found.kind}, not a table")
        return
    wanted = {c.name for c in table.columns}
    if (BATCH_IN in wanted) != (BATCH_IN in found.columns):
        kept = "every version" if BATCH_IN in found.columns else "current rows only"
        said = "forensic" if BATCH_IN in wanted else "live"
        plan.refused.append(f"{where} keeps {kept}; the model says {said}")
        return
    have = {
        name: (kind, not_null)
        for name, kind, not_null in zip(found.columns, found.types, found.not_null, strict=True)
    }
    added, wrong = [], []
    for column in table.columns:
        existing, model_type = have.get(column.name), column_type(column.type)
        if existing is None and column.nullable and not column.primary_key:
            added.append(ColumnAdd(table.schema, table.name, column))
        elif existing is None:
            wrong.append(f"{where}: new column {column.name} is not nullable or in the key")
        elif existing[0] != model_type:
            wrong.append(f"{where}.{column.name} is {existing[0]}, the model says {model_type}")
        elif (column.name in found.keys) != column.primary_key:
            wrong.append(f"{where}.{column.name}: the primary key changed")
        elif existing[1] and column.nullable:
            wrong.append(f"{where}.{column.name} is not null, the model allows nulls")
    wrong += [
        f"{where}.{name} is not in the model and not null"
        for name, (_, not_null) in have.items()
        if name not in wanted and name not in (BATCH_IN, BATCH_OUT) and not_null
    ]
    if wrong:
        plan.refused += wrong
        return
    for change in added:
        target = f"{where}.{change.column.name}"
        plan.add(Phase.TABLES, "add column", target, f"new column of {table.purpose}", change)
