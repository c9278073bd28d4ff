"""A COPY's output read as it comes: a task puts its chunks, the batch reads them in a block."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from app.ingestion.reader import Output
from app.ingestion.tables import IngestionError

CHUNKS_IN_FLIGHT = 16  # COPY data messages between source and warehouse: memory stays bounded
# A COPY's chunk is what arrived since the last one: a reader ahead of the server gets its ~8 KB
# sends one by one, each a wakeup of the event loop (10,000 for 1,000,000 rows: 0.45 s of the
# worker's CPU). After a small chunk the reading pauses briefly, and the next chunk holds what
# gathered meanwhile (~80 KB: 0.15 s of CPU for the same rows, the same wall time; a
# millisecond is ~80 KB at the server's pace, far below what the socket's buffer holds).
GATHERED, GATHER_SECONDS = 64 << 10, 0.001


@asynccontextmanager
async def streaming(
    copy: Callable[[Output], Awaitable[object]],
    failed: str,
    abandon: Callable[[], object] | None = None,
) -> AsyncIterator[AsyncIterator[bytes]]:
    """A `COPY ... TO STDOUT` (`copy`, given where to put each chunk) run as a task while the
    block reads its chunks, at most CHUNKS_IN_FLIGHT of them waiting; the copy's failure is
    raised by the reading as `IngestionError` ("{failed}: ...").

    When the block ends before the copy, the copy is never cancelled: asyncpg cancels a COPY
    by a cancel request, and waits for the server to acknowledge it before the connection's
    next statement; a COPY the server had already finished (its last rows still on their way)
    never acknowledges it, and the batch's ROLLBACK would wait for ever. Instead, `abandon`
    ends the connection at once (a source's: the batch closes it anyway, and a large table is
    not read to its end for nothing); without it (the warehouse's own connection, which the
    batch goes on with) the rest of the copy is read and dropped."""
    chunks: asyncio.Queue[bytes | BaseException | None] = asyncio.Queue(CHUNKS_IN_FLIGHT)
    ended = False

    async def put(chunk: bytes) -> None:
        if ended:
            return
        await chunks.put(chunk)
        if len(chunk) < GATHERED:  # the reader was ahead: let the next chunk gather
            await asyncio.sleep(GATHER_SECONDS)

    async def produce() -> None:
        try:
            await copy(put)
        except BaseException as error:  # the reading raises it
            await chunks.put(error)
            raise
        await chunks.put(None)

    async def consume() -> AsyncIterator[bytes]:
        while (chunk := await chunks.get()) is not None:
            if isinstance(chunk, BaseException):
                raise IngestionError(f"{failed}: {_reason(chunk)}")
            yield chunk

    producer = asyncio.create_task(produce())
    try:
        yield consume()
    finally:
        ended = True
        if abandon is not None and not producer.done():
            abandon()  # the copy fails at once, its connection gone
        while not chunks.empty():  # a put waiting for room goes on, and no other waits
            chunks.get_nowait()
        await asyncio.gather(producer, return_exceptions=True)


def _reason(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
