"""A batch's found changes written to a raw table, and a null or repeated key named."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

from app.ingestion.merge import Merge
from app.ingestion.tables import RawTable


async def write_changes(warehouse: asyncpg.Connection, statements: Merge) -> dict[str, int]:
    """Apply the changes found (a temporary table, by `OP`); how many of each there were."""
    found = {r[0]: r[1] for r in await warehouse.fetch(statements.count)}
    for statement in (statements.delete, statements.update, statements.insert):
        if statement is not None:
            await warehouse.execute(statement)
    return found


@contextmanager
def keyed(table: RawTable) -> Iterator[None]:
    """A null or repeated key among the rows keyed (staged, or written into an empty raw table)
    fails the batch, naming the dataset."""
    try:
        yield
    except asyncpg.NotNullViolationError as error:
        if error.column_name not in {c.physical for c in table.keys}:
            raise
        raise table.null_key() from None
    except asyncpg.UniqueViolationError as error:
        detail = error.detail or ""
        for said in ("is duplicated", "already exists"):
            detail = detail.replace(said, "appears more than once")
        raise table.repeated_key(detail) from None
