"""The partitions of the model tables: one per table and version, and the rows that fill them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from app.catalog.rows import ROWS, Row
from app.catalog.schema import ENTITY_PREFIX, PARTITION_SCHEMA
from app.ecosystem.model import Model

Progress = Callable[[str, int], None]  # (table, rows written since the last call)
PROGRESS_EVERY = 20_000


def partition_name(table: str, version_id: int) -> str:
    """The partition of a model table holding one version (in its own schema, out of BI tools' way)."""
    return f"{PARTITION_SCHEMA}.{ENTITY_PREFIX}{table}_v{int(version_id)}"


def partition_rows(table: str, model: Model, progress: Progress | None) -> Iterator[Row]:
    """The table's rows, telling progress every PROGRESS_EVERY rows."""
    if progress is None:
        yield from ROWS[table](model)
        return
    pending = 0
    for row in ROWS[table](model):
        yield row
        pending += 1
        if pending == PROGRESS_EVERY:
            progress(table, pending)
            pending = 0
    progress(table, pending)
