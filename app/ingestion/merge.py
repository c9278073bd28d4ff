"""Staging and merging in the warehouse: the statements of one raw table's batch (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from app.ecosystem.spec.datastore import Milestoning
from app.ingestion.tables import BATCH_IN, BATCH_OUT, RawTable, column_list
from app.security.warehouses.postgres_sql import quote_ident


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


@dataclass(frozen=True, slots=True)
class Merge:
    """The statements merging a staged table into its raw table; each may be None (skipped)."""

    delete: str | None  # live: delete vanished keys; forensic: close them
    update: str | None  # live: rewrite changed rows; forensic: close their current version
    insert: str  # new keys (and, forensic, the new versions of changed rows)


def stage_name(table: RawTable) -> str:
    """The temporary staging table of a raw table (dropped at commit), unquoted."""
    return f"ecoplane_stage_{table.name}"[:63]


def _stage(table: RawTable) -> str:
    return quote_ident(stage_name(table))


def create_stage(table: RawTable) -> str:
    """A temporary table with the modelled columns and types, unconstrained until checked."""
    columns = ", ".join(f"{c.quoted} {c.type}" for c in table.columns)
    return f"CREATE TEMPORARY TABLE {_stage(table)} ({columns}) ON COMMIT DROP"


def key_stage(table: RawTable) -> str:
    """The staged rows' primary key: refuses a null or duplicate key, and serves the merge."""
    return f"ALTER TABLE {_stage(table)} ADD PRIMARY KEY ({column_list(table.keys)})"


def _on(table: RawTable) -> str:
    return " AND ".join(f"t.{c.quoted} = s.{c.quoted}" for c in table.keys)


def _differs(table: RawTable) -> str | None:
    if not table.values:
        return None
    return f"({column_list(table.values, 't')}) IS DISTINCT FROM ({column_list(table.values, 's')})"


def merge(table: RawTable, batch: int, snapshot: bool) -> Merge:
    """The merge of a batch: by primary key; a snapshot also retires the keys it lacks."""
    if table.milestoning is Milestoning.FORENSIC:
        return _forensic(table, batch, snapshot)
    raw, stage, on, differs = table.qualified, _stage(table), _on(table), _differs(table)
    sets = ", ".join(f"{c.quoted} = s.{c.quoted}" for c in table.values)
    return Merge(
        delete=(
            f"DELETE FROM {raw} t WHERE NOT EXISTS (SELECT 1 FROM {stage} s WHERE {on})"
            if snapshot
            else None
        ),
        update=(
            f"UPDATE {raw} t SET {sets} FROM {stage} s WHERE {on} AND {differs}"
            if differs
            else None
        ),
        insert=(
            f"INSERT INTO {raw} ({column_list(table.columns)}) "
            f"SELECT {column_list(table.columns, 's')} FROM {stage} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {raw} t WHERE {on})"
        ),
    )


def _forensic(table: RawTable, batch: int, snapshot: bool) -> Merge:
    raw, stage, on, differs = table.qualified, _stage(table), _on(table), _differs(table)
    current = f"t.{BATCH_OUT} IS NULL"
    close = f"UPDATE {raw} t SET {BATCH_OUT} = {batch}"
    return Merge(
        delete=(
            f"{close} WHERE {current} AND NOT EXISTS (SELECT 1 FROM {stage} s WHERE {on})"
            if snapshot
            else None
        ),
        update=f"{close} FROM {stage} s WHERE {current} AND {on} AND {differs}"
        if differs
        else None,
        insert=(
            f"INSERT INTO {raw} ({column_list(table.columns)}, {BATCH_IN}) "
            f"SELECT {column_list(table.columns, 's')}, {batch} FROM {stage} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {raw} t WHERE {on} AND {current})"
        ),
    )


def affected(status: str) -> int:
    """The row count of a command status (`UPDATE 3`, `INSERT 0 7`, `COPY 10`)."""
    return int(status.rsplit(" ", 1)[-1])
