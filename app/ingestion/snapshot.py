"""A later snapshot compared with the current rows as text: the source's rows are not staged.

A snapshot into a raw table that holds rows reads the source's rows and the table's current
rows side by side, both as COPY text in key order (the warehouse printing them as the source
does), and compares them as bytes (app/ingestion/compare.py). Only the rows that differ are
staged, keyed, and merged as a watermark batch's rows are; the keys the source no longer holds
are retired. A 1 % change stages 1 % of the rows, where staging every row cost a write of the
whole source into a temporary table, its key's index, and a merge join of both tables.

It is used when the source prints as the warehouse (`PostgresReader`: dates in ISO style,
floats printed exactly, the default interval style) and the keys are integers; otherwise, and
for a watermark's rows, the batch stages every row (app/ingestion/batch.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from tempfile import SpooledTemporaryFile
from typing import IO

import asyncpg

from app.ingestion.changes import keyed, write_changes
from app.ingestion.compare import Comparison, comparable
from app.ingestion.merge import (
    KEY_ORDER,
    NESTED_LOOP,
    PLANNER_DEFAULTS,
    Counts,
    changes,
    create_gone,
    current_rows,
    gone_name,
    key_stage,
    merge,
    stage_name,
    vanished,
)
from app.ingestion.reader import SourceReader
from app.ingestion.streams import streaming
from app.ingestion.tables import RawTable

SPOOL_BYTES = 8 << 20  # candidates and vanished keys held in memory; more spill to a file
PIECE = 1 << 20  # what a spooled file is read in


def staged_why(table: RawTable, printing: Mapping[str, str] | None) -> str | None:
    """Why a snapshot of `table` cannot be compared as text with the current rows (None: it
    can). Equal text must be equal values (floats printed exactly, dates in ISO style), and
    the keys must order alike in both databases and in Python (integers)."""
    if printing is None:
        return "its source does not print values as the warehouse does"
    if not comparable(table):
        return "its key is not made of integers"
    digits = printing["extra_float_digits"]
    if not (digits.lstrip("-").isdigit() and int(digits) >= 1):
        return f"its source prints floats inexactly (extra_float_digits {digits})"
    if not printing["DateStyle"].startswith("ISO"):
        return f"its source prints dates as {printing['DateStyle']!r}, not ISO"
    if printing["IntervalStyle"] != "postgres":
        return f"its source prints intervals as {printing['IntervalStyle']!r}"
    return None


async def compare_snapshot(
    source: SourceReader,
    warehouse: asyncpg.Connection,
    table: RawTable,
    printing: Mapping[str, str],
) -> int:
    """Compare the source's rows with the current rows: the candidates staged and keyed, the
    vanished keys in their table (`merge_compared` writes them); the source's rows."""
    names = list(printing)
    await warehouse.execute(
        "SELECT " + ", ".join(f"set_config('{n}', ${i}, true)" for i, n in enumerate(names, 1)),
        *(printing[n] for n in names),
    )
    with SpooledTemporaryFile(SPOOL_BYTES) as candidates, SpooledTemporaryFile(SPOOL_BYTES) as gone:
        comparison = Comparison(table, candidates, gone)
        await warehouse.execute(KEY_ORDER)
        async with (
            source.ordered(table) as ours,
            streaming(
                lambda put: warehouse.copy_from_query(current_rows(table), output=put),
                "reading the raw table failed",
            ) as theirs,
        ):
            found = await comparison.run(ours, theirs)
        await _load(warehouse, stage_name(table), candidates)
        with keyed(table):
            await warehouse.execute(key_stage(table))
        await warehouse.execute(create_gone(table))
        await _load(warehouse, gone_name(table), gone)
    return found.rows


async def merge_compared(
    warehouse: asyncpg.Connection, table: RawTable, number: int, rows: int
) -> Counts:
    """Write what a comparison found: the candidates that differ from their current rows (or
    have none), and the vanished keys; `rows`, the source's."""
    await warehouse.execute(NESTED_LOOP)
    await warehouse.execute(changes(table, snapshot=False))
    await warehouse.execute(vanished(table))
    await warehouse.execute(PLANNER_DEFAULTS)
    counted = await write_changes(warehouse, merge(table, number, snapshot=True))
    return Counts.of(counted, rows)


async def _load(warehouse: asyncpg.Connection, name: str, spooled: IO[bytes]) -> None:
    """COPY a spooled file's text rows into a temporary table (nothing when it is empty)."""
    if spooled.tell() == 0:
        return
    spooled.seek(0)

    async def pieces() -> AsyncIterator[bytes]:
        while piece := spooled.read(PIECE):
            yield piece

    await warehouse.copy_to_table(name, source=pieces(), format="text")
