"""Rows for every raw table of a model: keys first, then rows whose id columns join existing keys.

A column named like the single-column primary key of another dataset (`merchant_id`, or a name
ending in `_<key>` such as `issuer_lei`) takes its values from that dataset's keys: the one of
the same datastore first, then of the same zone, then any. Datasets are generated after the
ones they reference. Model-specific recipes (app.examples.acme) replace or touch up rows.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from app.ecosystem.coltypes import ColumnType, parse_type
from app.ecosystem.model import Model
from app.ecosystem.spec.datastore import Dataset
from app.examples.values import Scope, by_type, value

Row = dict[str, object]
Key = tuple[str, str]  # (datastore, dataset)


@dataclass(frozen=True, slots=True)
class Table:
    """An ingested dataset to fill: its datastore, zone, columns and primary key."""

    datastore: str
    zone: str
    dataset: Dataset
    types: dict[str, ColumnType]

    @property
    def key(self) -> Key:
        """(datastore, dataset)."""
        return (self.datastore, self.dataset.name)

    @property
    def required(self) -> set[str]:
        """The columns that may not be null."""
        return {c.name for c in self.dataset.columns if not c.is_nullable}

    @property
    def primary_key(self) -> list[str]:
        """The primary-key column names, in declaration order."""
        return [c.name for c in self.dataset.columns if c.primary_key]


@dataclass(slots=True)
class Seeding:
    """The state of one seeding: random source, day range, keys and rows made so far."""

    rng: random.Random
    today: date
    days: int
    rows: int
    tables: dict[Key, Table]
    made: dict[Key, list[Row]] = field(default_factory=dict)
    keys: dict[Key, list[object]] = field(default_factory=dict)
    sources: dict[tuple[Key, str], Key | None] = field(default_factory=dict)

    def scope(self) -> Scope:
        """A fresh value scope for a new row."""
        return Scope(self.rng, self.today, self.days)

    def rows_of(self, datastore: str, dataset: str) -> list[Row]:
        """The rows already made for a dataset (empty if none)."""
        return self.made.get((datastore, dataset), [])


@dataclass(frozen=True, slots=True)
class Recipe:
    """How a model fills a dataset: `make` replaces generation, `touch` adjusts each row."""

    columns: frozenset[str]  # applies only when the dataset has these columns
    make: Callable[[Seeding], list[Row]] | None = None
    touch: Callable[[Row, Seeding], None] | None = None
    needs: tuple[Key, ...] = ()


def ingested_tables(model: Model) -> list[Table]:
    """Every dataset of a datastore that no transformer writes, in a stable order."""
    tables = []
    for store in sorted(model.datastores.values(), key=lambda s: s.name):
        if store.producer is not None:
            continue
        for dataset in store.datasets.values():
            types = {c.name: parse_type(c.type) for c in dataset.columns}
            tables.append(Table(store.name, store.zone, dataset, types))
    return tables


def make_rows(seeding: Seeding, recipes: dict[Key, Recipe]) -> dict[Key, list[Row]]:
    """Rows for every table, keyed tables first, referenced tables before referencing ones."""
    usable = {
        k: r for k, r in recipes.items()
        if k in seeding.tables and r.columns <= seeding.tables[k].types.keys()
    }  # fmt: skip
    for table in seeding.tables.values():
        if (
            len(table.primary_key) == 1
            and (usable.get(table.key) or Recipe(frozenset())).make is None
        ):
            seeding.keys[table.key] = _keys(table, seeding)
    for key in usable:
        recipe = usable[key]
        if (
            recipe.make is not None
            and not recipe.needs
            and len(seeding.tables[key].primary_key) == 1
        ):
            seeding.made[key] = _complete(seeding.tables[key], recipe.make(seeding), seeding)
            seeding.keys[key] = [r[seeding.tables[key].primary_key[0]] for r in seeding.made[key]]
    for key in _ordered(seeding, usable):
        if key not in seeding.made:
            seeding.made[key] = _table_rows(seeding.tables[key], seeding, usable.get(key))
    return seeding.made


def _ordered(seeding: Seeding, recipes: dict[Key, Recipe]) -> list[Key]:
    done: dict[Key, None] = {}

    def visit(key: Key, path: set[Key]) -> None:
        if key in done or key in path:
            return
        path.add(key)
        table = seeding.tables[key]
        needs = {_source(seeding, table, c) for c in table.types} - {None, key}
        for need in sorted(n for n in needs if n is not None):
            visit(need, path)
        for need in recipes[key].needs if key in recipes else ():
            visit(need, path)
        done[key] = None

    for key in seeding.tables:
        visit(key, set())
    return list(done)


def _table_rows(table: Table, seeding: Seeding, recipe: Recipe | None) -> list[Row]:
    if recipe is not None and recipe.make is not None:
        return _complete(table, recipe.make(seeding), seeding)
    keys = seeding.keys.get(table.key)
    count = len(keys) if keys is not None else seeding.rows
    rows, seen = [], set()
    for index in range(count * 3):
        scope = seeding.scope()
        if keys is not None:
            if index >= count:
                break
            scope.row[table.primary_key[0]] = keys[index]
        for column, parsed in table.types.items():
            if column not in scope.row:
                scope.row[column] = _column_value(seeding, table, column, parsed, scope)
        identity = tuple(scope.row[c] for c in table.primary_key)
        if identity in seen and table.primary_key:
            continue
        seen.add(identity)
        if recipe is not None and recipe.touch is not None:
            recipe.touch(scope.row, seeding)
        rows.append(scope.row)
        if len(rows) == count:
            break
    return rows


def _complete(table: Table, rows: list[Row], seeding: Seeding) -> list[Row]:
    """Rows of a recipe with the columns it does not know filled by type."""
    for row in rows:
        for column, parsed in table.types.items():
            if column not in row:
                scope = seeding.scope()
                scope.row = row
                row[column] = _column_value(seeding, table, column, parsed, scope)
    return rows


def _column_value(
    seeding: Seeding, table: Table, column: str, parsed: ColumnType, scope: Scope
) -> object:
    source = _source(seeding, table, column)
    if source is not None and seeding.keys.get(source):
        return seeding.rng.choice(seeding.keys[source])
    made = value(column, parsed, scope)
    if made is None and column in table.required:
        return by_type(column, parsed, scope)
    return made


def _source(seeding: Seeding, table: Table, column: str) -> Key | None:
    """The keyed dataset a column's values come from, or None."""
    cache = (table.key, column)
    if cache not in seeding.sources:
        found = []
        for other in seeding.tables.values():
            pk = other.primary_key
            if other.key == table.key or len(pk) != 1:
                continue
            named = column == pk[0] or (len(pk[0]) > 2 and column.endswith(f"_{pk[0]}"))
            if named and _same_family(table.types[column], other.types[pk[0]]):
                rank = (
                    0
                    if other.datastore == table.datastore
                    else 1
                    if other.zone == table.zone
                    else 2
                )
                found.append((rank, column != pk[0], other.key))
        seeding.sources[cache] = min(found)[2] if found else None
    return seeding.sources[cache]


def _same_family(one: ColumnType, other: ColumnType) -> bool:
    integers, texts = {"smallint", "integer", "bigint"}, {"char", "varchar", "text"}
    return any({one.base, other.base} <= family for family in (integers, texts)) or one == other


def _keys(table: Table, seeding: Seeding) -> list[object]:
    column = table.primary_key[0]
    parsed = table.types[column]
    if parsed.base in ("smallint", "integer", "bigint"):
        start = 1 if parsed.base != "bigint" else 100_001
        return list(range(start, start + seeding.rows))
    keys: dict[object, None] = {}
    for index in range(seeding.rows * 3):
        candidate = value(column, parsed, seeding.scope())
        if candidate is None or candidate in keys:
            candidate = _numbered(index, parsed)
        keys[candidate] = None
        if len(keys) == seeding.rows:
            break
    return list(keys)


def _numbered(index: int, parsed: ColumnType) -> object:
    digits = string.digits + string.ascii_uppercase
    text = ""
    while True:
        index, rest = divmod(index, 36)
        text = digits[rest] + text
        if index == 0:
            break
    length = parsed.params[0] if parsed.params else 12
    return ("K" + text.rjust(length - 1, "0"))[-length:]
