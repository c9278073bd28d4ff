"""The seam between a batch and its source: what every source engine's reader does."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg

from app.ingestion.tables import RawTable

Output = Callable[[bytes], Coroutine[Any, Any, None]]  # where a COPY TO STDOUT puts each chunk


@dataclass(frozen=True, slots=True)
class Target:
    """Where a batch streams a table's rows: its staging table (`name` only), or, for a first
    batch, the empty raw table itself: `schema`, the modelled `columns` and, forensic, the
    batch's number appended to every row as `ecoplane_batch_in` (the last of `columns`)."""

    name: str
    schema: str | None = None
    columns: tuple[str, ...] | None = None
    batch_in: int | None = None


class SourceReader(Protocol):
    """An open connection to a datastore's source, for one batch.

    `columns` and `differences` check a table before the warehouse is touched; `copy` streams
    its rows into a `Target` of the warehouse (staging, or an empty raw table), raising
    `IngestionError` (`reading the source failed: ...`) when the source fails mid-copy, which
    aborts the warehouse's COPY. A source that prints its rows as the warehouse does
    (`printing`) also streams them as COPY text in key order (`ordered`): a later
    snapshot is then compared with the current rows without staging them
    (app/ingestion/snapshot.py).
    """

    async def columns(self, table: RawTable) -> dict[str, str]:
        """The source table's column for each modelled column it has (by modelled name)."""
        ...

    async def differences(self, table: RawTable, found: dict[str, str]) -> list[str]:
        """Each modelled column the source lacks or holds in a type that cannot be cast."""
        ...

    async def copy(
        self,
        table: RawTable,
        after: str | None,
        watermark: str | None,
        warehouse: asyncpg.Connection,
        target: Target,
    ) -> int:
        """Stream the table's rows (those past `after` in `watermark`) into `target`; the count."""
        ...

    async def printing(self) -> dict[str, str] | None:
        """The settings the source prints values as text under (`PRINTING` of
        app/ingestion/source.py), or None when its text is not the warehouse's."""
        ...

    def ordered(self, table: RawTable) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """The whole table as COPY text in primary-key order, its chunks read in the block."""
        ...

    async def close(self) -> None:
        """Release the source connection."""
        ...
