"""A local child's output, read into its log tail: stdout and stderr together, line by line,
secret values masked before a line is cut, and never a line that leaves the child blocked."""

from __future__ import annotations

import asyncio
from collections import deque

from app.jobs.log_tail import LINE_CHARS, redacted


async def read_tail(
    process: asyncio.subprocess.Process, tail: deque[str], hidden: tuple[str, ...]
) -> None:
    """Keep the last lines of the child's output, secret values masked before any cut. A line
    longer than the stream's buffer (64 KiB) keeps its first piece; the rest is read and
    dropped, so the child never waits on a full pipe."""
    assert process.stdout is not None
    rest_of_a_long_line = False
    while piece := await _piece(process.stdout):
        if not rest_of_a_long_line:
            text = piece.decode(errors="replace").rstrip("\n")
            tail.append(redacted(text, hidden)[:LINE_CHARS])
        rest_of_a_long_line = not piece.endswith(b"\n")


async def _piece(stream: asyncio.StreamReader) -> bytes:
    """The next line, or as much of a long line as the buffer holds; b"" at the end."""
    try:
        return await stream.readuntil(b"\n")
    except asyncio.IncompleteReadError as error:  # the end: a last line without a newline
        return error.partial
    except asyncio.LimitOverrunError as error:  # the line goes on past the buffer's limit
        return await stream.readexactly(max(error.consumed, 1))
