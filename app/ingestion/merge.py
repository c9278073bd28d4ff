"""Staging and merging in the warehouse: the statements of one raw table's batch (pure).

A batch into a raw table that holds rows stages the source's rows, keys them, then finds what
changed in one pass (`changes`: the staged rows merge-joined to the current rows by primary
key, both read in key order through their keys' indexes, the unchanged ones dropped) into a
small temporary table, and applies only that: a 1 % change reads both tables once and writes
1 % of the rows. A first batch, into an empty raw table, is streamed
straight into it (app/ingestion/batch.py): no staging, no merge.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from app.ecosystem.spec.datastore import Milestoning
from app.ingestion.tables import BATCH_IN, BATCH_OUT, RawTable, column_list
from app.security.warehouses.postgres_sql import quote_ident

OP = "ecoplane_op"  # the column of a change: i (new key), u (changed row), d (vanished key)
INSERTED, UPDATED, DELETED = "i", "u", "d"
WORK_MEM = "64MB"  # a sort or hash the batch's statements still need stays in memory
# The changes are found by a merge join: the staged rows and the current rows both walked in
# key order by their primary keys' indexes. No hash table of a whole side (for 1,000,000 rows,
# 1.3-1.4 s of the server's CPU against 0.7-0.9 s: 117 MB built, then probed at random), and no
# sort: a raw table the di_ role may not ANALYZE has no statistics, so the planner took a
# forensic table's current rows (`ecoplane_batch_out IS NULL`) for 0.5 % of it and sorted all
# 1,000,000 on disk (6.0 s against 3.5 s). A few staged rows still get an index lookup each.
MERGE_JOIN = "SET LOCAL enable_hashjoin = off; SET LOCAL enable_sort = off"
# A compared snapshot's few candidates and vanished keys each find their current row by an
# index lookup (a merge join would read the whole raw table again, a hash join scan it); its
# read of the current rows walks the key's index in order (no sort).
NESTED_LOOP = "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off"
KEY_ORDER = "SET LOCAL enable_sort = off; SET LOCAL max_parallel_workers_per_gather = 0"
PLANNER_DEFAULTS = (  # the writes
    "SET LOCAL enable_hashjoin TO DEFAULT; SET LOCAL enable_sort TO DEFAULT;"
    " SET LOCAL enable_mergejoin TO DEFAULT"
)


@dataclass(frozen=True, slots=True)
class Counts:
    """What a batch did to a raw table."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.deleted + other.deleted,
            self.unchanged + other.unchanged,
        )

    @property
    def changed(self) -> bool:
        """Whether any row was written."""
        return bool(self.inserted or self.updated or self.deleted)

    @classmethod
    def of(cls, found: dict[str, int], staged: int) -> Counts:
        """The counts of a batch's changes (rows by `OP`) out of the rows it staged."""
        inserted, updated = found.get(INSERTED, 0), found.get(UPDATED, 0)
        return cls(inserted, updated, found.get(DELETED, 0), staged - inserted - updated)


@dataclass(frozen=True, slots=True)
class Merge:
    """The statements merging a staged table into its raw table: `changes` finds the changed
    rows; the others apply them (`delete` None: nothing to retire)."""

    changes: str  # CREATE TEMPORARY TABLE <changes> AS ...: the changed rows, each with its OP
    count: str  # the changes by OP
    delete: str | None  # live: delete vanished keys
    update: str | None  # live: rewrite changed rows; forensic: close vanished and changed rows
    insert: str  # new keys (and, forensic, the new versions of changed rows)


def _temporary(kind: str, table: RawTable) -> str:
    """`ecoplane_<kind>_<raw table>`, unquoted; past 63 characters (PostgreSQL would cut it,
    and two raw tables sharing their first 48 characters would then share a staging table in
    one batch) the name is cut and ends with a digest of the raw table's whole name."""
    name = f"ecoplane_{kind}_{table.name}"
    if len(name) <= 63:
        return name
    digest = hashlib.sha256(table.name.encode()).hexdigest()[:12]
    return f"{name[: 63 - 13]}_{digest}"


def stage_name(table: RawTable) -> str:
    """The temporary staging table of a raw table (dropped at commit), unquoted."""
    return _temporary("stage", table)


def changes_name(table: RawTable) -> str:
    """The temporary table of a batch's changes to a raw table (dropped at commit), unquoted."""
    return _temporary("changes", table)


def gone_name(table: RawTable) -> str:
    """The temporary table of the keys a compared snapshot no longer holds, unquoted."""
    return _temporary("gone", table)


def _stage(table: RawTable) -> str:
    return quote_ident(stage_name(table))


def create_stage(table: RawTable) -> str:
    """A temporary table with the modelled columns and types, unconstrained until checked."""
    columns = ", ".join(f"{c.quoted} {c.type}" for c in table.columns)
    return f"CREATE TEMPORARY TABLE {_stage(table)} ({columns}) ON COMMIT DROP"


def key_stage(table: RawTable) -> str:
    """The staged rows' primary key: refuses a null or duplicate key, and gives the merge join
    the staged rows in key order."""
    return f"ALTER TABLE {_stage(table)} ADD PRIMARY KEY ({column_list(table.keys)})"


def _on(table: RawTable, left: str, right: str) -> str:
    return " AND ".join(f"{left}.{c.quoted} = {right}.{c.quoted}" for c in table.keys)


def _current(table: RawTable) -> str:
    """The raw table's current rows (forensic: those not closed)."""
    if table.milestoning is Milestoning.FORENSIC:
        return f"(SELECT * FROM {table.qualified} WHERE {BATCH_OUT} IS NULL)"
    return table.qualified


def current_rows(table: RawTable) -> str:
    """The current rows with the modelled columns in key order: what a snapshot is compared
    with (app/ingestion/snapshot.py)."""
    return (
        f"SELECT {column_list(table.columns)} FROM {_current(table)} t"
        f" ORDER BY {column_list(table.keys)}"
    )


def create_gone(table: RawTable) -> str:
    """A temporary table for the keys a compared snapshot no longer holds."""
    columns = ", ".join(f"{c.quoted} {c.type}" for c in table.keys)
    return f"CREATE TEMPORARY TABLE {quote_ident(gone_name(table))} ({columns}) ON COMMIT DROP"


def vanished(table: RawTable) -> str:
    """The vanished keys' current rows added to the changes (d), after `changes` of the
    candidates staged (not a snapshot's: the keys the stage lacks are not gone)."""
    keys, current = column_list(table.keys), column_list(table.keys, "t")
    if table.milestoning is Milestoning.FORENSIC:  # the current version's, to close it by
        keys, current = f"{keys}, {BATCH_IN}", f"{current}, t.{BATCH_IN}"
    return (
        f"INSERT INTO {quote_ident(changes_name(table))} ({keys}, {OP})"
        f" SELECT {current}, '{DELETED}'"
        f" FROM {quote_ident(gone_name(table))} g JOIN {_current(table)} t"
        f" ON {_on(table, 'g', 't')}"
    )


def changes(table: RawTable, snapshot: bool) -> str:
    """The changed rows in one pass: staged keys the raw table lacks (i), staged rows that
    differ from their current row (u) and, for a snapshot, current keys not staged (d)."""
    key = table.keys[0].quoted  # not null on both sides: null only where the join found none
    join = "FULL JOIN" if snapshot else "LEFT JOIN"
    keys = ", ".join(f"coalesce(s.{c.quoted}, t.{c.quoted}) AS {c.quoted}" for c in table.keys)
    values = "".join(f", s.{c.quoted}" for c in table.values)
    if table.milestoning is Milestoning.FORENSIC:  # the current version's: its whole key
        values += f", t.{BATCH_IN}"
    changed = [f"t.{key} IS NULL", f"s.{key} IS NULL" if snapshot else ""]
    if table.values:
        ours, theirs = column_list(table.values, "s"), column_list(table.values, "t")
        changed.append(f"({ours}) IS DISTINCT FROM ({theirs})")
    op = (
        f"CASE WHEN t.{key} IS NULL THEN '{INSERTED}' WHEN s.{key} IS NULL THEN '{DELETED}'"
        f" ELSE '{UPDATED}' END AS {OP}"
    )
    return (
        f"CREATE TEMPORARY TABLE {quote_ident(changes_name(table))} ON COMMIT DROP AS"
        f" SELECT {keys}{values}, {op} FROM {_stage(table)} s {join} {_current(table)} t"
        f" ON {_on(table, 's', 't')} WHERE {' OR '.join(c for c in changed if c)}"
    )


def merge(table: RawTable, batch: int, snapshot: bool) -> Merge:
    """The merge of a batch: by primary key; a snapshot also retires the keys it lacks."""
    raw, found = table.qualified, quote_ident(changes_name(table))
    on, columns = _on(table, "t", "c"), column_list(table.columns)
    count = f"SELECT {OP}, count(*) FROM {found} GROUP BY {OP}"
    if table.milestoning is Milestoning.FORENSIC:
        return Merge(
            changes(table, snapshot),
            count,
            delete=None,
            update=(  # by the whole key: an index lookup per change, whatever the statistics
                f"UPDATE {raw} t SET {BATCH_OUT} = {int(batch)} FROM {found} c"
                f" WHERE c.{OP} <> '{INSERTED}' AND {on} AND t.{BATCH_IN} = c.{BATCH_IN}"
            ),
            insert=(
                f"INSERT INTO {raw} ({columns}, {BATCH_IN}) SELECT {column_list(table.columns, 'c')},"
                f" {int(batch)} FROM {found} c WHERE c.{OP} <> '{DELETED}'"
            ),
        )
    sets = ", ".join(f"{c.quoted} = c.{c.quoted}" for c in table.values)
    return Merge(
        changes(table, snapshot),
        count,
        delete=(
            f"DELETE FROM {raw} t USING {found} c WHERE c.{OP} = '{DELETED}' AND {on}"
            if snapshot
            else None
        ),
        update=(
            f"UPDATE {raw} t SET {sets} FROM {found} c WHERE c.{OP} = '{UPDATED}' AND {on}"
            if sets
            else None  # no column but the key: a row is there or not, never changed
        ),
        insert=(
            f"INSERT INTO {raw} ({columns}) SELECT {column_list(table.columns, 'c')}"
            f" FROM {found} c WHERE c.{OP} = '{INSERTED}'"
        ),
    )
