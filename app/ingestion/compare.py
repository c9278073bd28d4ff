"""A snapshot compared with the current rows as text, in key order (pure: no I/O of its own).

Both sides arrive as COPY text ordered by primary key: the source's rows cast to their modelled
types, and the raw table's current rows, printed under the same settings. A row the source did
not change prints exactly as its current row, so the two streams are equal bytes for long runs,
compared at memory speed without looking at a row. Only where they differ are rows read:

- a source row there is a *candidate* (a new key, or a row that may have changed): the batch
  writes it only if SQL finds it `IS DISTINCT FROM` its current row, so a row that merely
  prints differently (`1.0` and `1.00` in a jsonb) is not rewritten;
- a current row whose key the source no longer holds is *vanished*.

Equal text is equal values for every modelled type, given floats printed exactly
(`extra_float_digits >= 1`) and dates in ISO style (app/ingestion/snapshot.py checks both), so
no changed row hides in an equal run. The keys are integers (`KEY_TYPES`): their order is the
same in both databases and in Python, which decides at each difference which side is behind.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import IO

from app.ingestion.tables import IngestionError, RawTable

KEY_TYPES = frozenset({"smallint", "integer", "bigint"})  # keys compared as Python ints
NULL = b"\\N"  # COPY text's null


def comparable(table: RawTable) -> bool:
    """Whether the table's rows can be compared as text in key order (integer keys)."""
    return all(c.type in KEY_TYPES for c in table.keys)


@dataclass(slots=True)
class Found:
    """What a comparison found: the source's rows, its candidates, the vanished keys."""

    rows: int = 0
    candidates: int = 0
    vanished: int = 0


class _Stream:
    """One side's COPY text: a buffer from the start of the line before the current one."""

    __slots__ = ("_chunks", "at", "buffer", "ended", "rows")

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks
        self.buffer = b""
        self.at = 0  # the start of the current line
        self.rows = 0  # lines received
        self.ended = False

    async def _more(self) -> bool:
        """Read on to the next newline: the chunks of a long row are joined once, not one by
        one (each join would copy the row so far again)."""
        if self.ended:
            return False
        pieces = [self.buffer[self.buffer.rfind(b"\n", 0, max(self.at - 1, 0)) + 1 :]]
        self.at -= len(self.buffer) - len(pieces[0])  # the line before the current one kept
        while True:
            try:
                chunk = await anext(self._chunks)
            except StopAsyncIteration:
                self.ended = True
                break
            pieces.append(chunk)
            self.rows += chunk.count(b"\n")
            if b"\n" in chunk:
                break
        self.buffer = b"".join(pieces)
        if self.ended and self.buffer.find(b"\n", self.at) < 0 and self.at < len(self.buffer):
            raise IngestionError("a COPY stream ended inside a row")
        return len(pieces) > 1

    async def line(self) -> int:
        """The end of the current line (its newline), reading on as needed; -1 at the end."""
        while (end := self.buffer.find(b"\n", self.at)) < 0:
            if not await self._more():
                return -1
        return end

    def previous(self) -> bytes | None:
        """The line before the current one, if any."""
        if self.at == 0:
            return None
        return self.buffer[self.buffer.rfind(b"\n", 0, self.at - 1) + 1 : self.at - 1]


class Comparison:
    """Compare a snapshot's stream with the current rows' stream of one raw table, writing the
    candidates (whole source lines) to `candidates` and the vanished keys (key fields) to
    `vanished`, both as COPY text."""

    def __init__(self, table: RawTable, candidates: IO[bytes], vanished: IO[bytes]) -> None:
        self._table = table
        self._keys = tuple(i for i, c in enumerate(table.columns) if c.key)
        self._candidates, self._vanished = candidates, vanished
        self.found = Found()

    async def run(self, source: AsyncIterator[bytes], current: AsyncIterator[bytes]) -> Found:
        """Read both streams to their ends; what was found."""
        s, c = _Stream(source), _Stream(current)
        while await s.line() >= 0 and await c.line() >= 0:
            size = min(len(s.buffer) - s.at, len(c.buffer) - c.at)
            differs = _first_difference(s, c, size)
            if differs == size:  # both hold a whole line, the shorter within `size`
                equal = s.buffer.rfind(b"\n", s.at, s.at + size) + 1 - s.at
                s.at, c.at = s.at + equal, c.at + equal
                continue
            if (start := s.buffer.rfind(b"\n", s.at, s.at + differs) + 1) > 0:
                s.at, c.at = start, c.at + start - s.at  # past the equal lines before it
            s_end, c_end = s.buffer.find(b"\n", s.at), c.buffer.find(b"\n", c.at)
            if s_end >= 0 and c_end >= 0:
                self._differ(s, s_end, c, c_end)
        await self._tails(s, c)
        self.found.rows = s.rows
        return self.found

    def _differ(self, s: _Stream, s_end: int, c: _Stream, c_end: int) -> None:
        """Two lines that differ: a candidate, a vanished key, or both sides moving on."""
        line, theirs = s.buffer[s.at : s_end], c.buffer[c.at : c_end]
        ours, current = self._source_key(line, s.previous()), self._key(theirs)
        if ours <= current:
            self._candidate(line)
            s.at = s_end + 1
            if ours == current:
                c.at = c_end + 1
        else:
            self._gone(theirs)
            c.at = c_end + 1

    async def _tails(self, s: _Stream, c: _Stream) -> None:
        """After one stream ended: the rest of the source is candidates, the rest of the
        current rows vanished."""
        while (end := await s.line()) >= 0:
            line = s.buffer[s.at : end]
            self._source_key(line, s.previous())
            self._candidate(line)
            s.at = end + 1
        while (end := await c.line()) >= 0:
            self._gone(c.buffer[c.at : end])
            c.at = end + 1

    def _candidate(self, line: bytes) -> None:
        self._candidates.write(line + b"\n")
        self.found.candidates += 1

    def _gone(self, line: bytes) -> None:
        fields = line.split(b"\t")
        self._vanished.write(b"\t".join(fields[i] for i in self._keys) + b"\n")
        self.found.vanished += 1

    def _key(self, line: bytes) -> tuple[int, ...]:
        fields = line.split(b"\t")
        try:
            return tuple(int(fields[i]) for i in self._keys)
        except (ValueError, IndexError):
            if any(i < len(fields) and fields[i] == NULL for i in self._keys):
                raise self._table.null_key() from None
            raise IngestionError(f"{self._table.label}: a row's key cannot be read") from None

    def _source_key(self, line: bytes, previous: bytes | None) -> tuple[int, ...]:
        """A source row's key: never null, and past the key of the row before it."""
        key = self._key(line)
        if previous is not None and (before := self._key(previous)) >= key:
            if before == key:  # worded as PostgreSQL's unique violation is (`keyed`)
                names = ", ".join(c.physical for c in self._table.keys)
                shown = ", ".join(str(k) for k in key)
                raise self._table.repeated_key(f"Key ({names})=({shown}) appears more than once")
            raise IngestionError(
                f"{self._table.label}: the source's rows did not come in key order"
            )
        return key


WINDOW = 4096  # the first bytes compared after a difference; doubled while they are equal


def _first_difference(s: _Stream, c: _Stream, size: int) -> int:
    """Where the next `size` bytes of the two streams first differ (`size` if they do not):
    windows growing while equal, then halving within the window that differs, so the bytes
    compared are about twice the distance to the difference, whatever is buffered."""
    view, low, step = memoryview(c.buffer), 0, WINDOW
    while low < size:
        high = min(low + step, size)
        if s.buffer.startswith(view[c.at + low : c.at + high], s.at + low):
            low, step = high, step * 2
            continue
        while high - low > 1:  # the first `low` bytes equal, the first `high` not
            middle = (low + high) // 2
            if s.buffer.startswith(view[c.at + low : c.at + middle], s.at + low):
                low = middle
            else:
                high = middle
        return low
    return size
