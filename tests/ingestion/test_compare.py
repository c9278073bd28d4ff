"""The comparison of a snapshot with the current rows as COPY text (pure: streams in memory)."""

from __future__ import annotations

import io
import random
from collections.abc import AsyncIterator

import pytest

from app.ecosystem.spec.datastore import Milestoning
from app.ingestion.compare import WINDOW, Comparison, Found
from app.ingestion.tables import IngestionError, RawColumn, RawTable


def _table(keys: int = 1) -> RawTable:
    columns = [RawColumn(f"k{i}", f"k{i}", "bigint", False, True) for i in range(keys)]
    columns += [RawColumn("v", "v", "text", True, False), RawColumn("w", "w", "text", True, False)]
    return RawTable("S", "d", "s__d", "d", tuple(columns), Milestoning.LIVE)


async def _chunks(data: bytes, sizes: random.Random | int) -> AsyncIterator[bytes]:
    at = 0
    while at < len(data):
        size = sizes if isinstance(sizes, int) else sizes.randint(1, 300)
        yield data[at : at + size]
        at += size


def _text(rows: dict[tuple[int, ...], bytes]) -> bytes:
    return b"".join(
        b"\t".join([*(str(k).encode() for k in key), value]) + b"\n"
        for key, value in sorted(rows.items())
    )


async def _compare(
    source: bytes, current: bytes, sizes: random.Random | int = 8192, keys: int = 1
) -> tuple[Found, list[bytes], list[bytes]]:
    candidates, vanished = io.BytesIO(), io.BytesIO()
    found = await Comparison(_table(keys), candidates, vanished).run(
        _chunks(source, sizes), _chunks(current, sizes)
    )
    return found, candidates.getvalue().splitlines(), vanished.getvalue().splitlines()


@pytest.mark.parametrize("seed", range(40))
async def test_the_candidates_are_exactly_the_new_and_changed_rows_and_the_vanished_keys(
    seed: int,
) -> None:
    rng = random.Random(seed)
    keys = rng.choice((1, 2))
    current = {
        tuple(rng.randint(-50, 10_000) for _ in range(keys)): b"\t".join(
            [rng.choice((b"\\N", b"a", b"b\\tc", b"x" * rng.randint(0, 90))), b"w"]
        )
        for _ in range(rng.randint(0, 400))
    }
    source = dict(current)
    changed, gone = set(), set()
    for key in list(current):
        roll = rng.random()
        if roll < 0.05:
            source[key] = source[key] + b"!"  # the same key, another value
            changed.add(key)
        elif roll < 0.1:
            del source[key]
            gone.add(key)
    for _ in range(rng.randint(0, 20)):
        key = tuple(rng.randint(-60, 10_100) for _ in range(keys))
        if key not in current:
            source[key] = b"new\tw"
            changed.add(key)
    sizes = rng if seed % 2 else rng.choice((1, 7, 64, 4096, 1 << 20))
    found, candidates, vanished = await _compare(_text(source), _text(current), sizes, keys)
    assert candidates == _text({k: source[k] for k in changed}).splitlines()
    assert vanished == [b"\t".join(str(k).encode() for k in key) for key in sorted(gone)]
    assert found == Found(rows=len(source), candidates=len(changed), vanished=len(gone))


async def test_equal_streams_find_nothing_and_count_the_rows() -> None:
    rows = _text({(i,): b"value %d\tw" % i for i in range(5000)})
    assert await _compare(rows, rows) == (Found(rows=5000), [], [])


async def test_a_difference_far_into_a_large_chunk_is_found_at_its_row() -> None:
    current: dict[tuple[int, ...], bytes] = {(i,): b"v\tw" for i in range(100_000)}
    source = current | {(77_777,): b"v\tW"}
    assert len(_text(current)) // 4 > WINDOW
    found, candidates, vanished = await _compare(_text(source), _text(current), 1 << 22)
    assert (found.candidates, candidates, vanished) == (1, [b"77777\tv\tW"], [])


async def test_long_rows_in_many_small_chunks_are_read_whole() -> None:
    current: dict[tuple[int, ...], bytes] = {
        (i,): b"x" * (300_000 if i % 2 else 10) + b"\tw" for i in range(6)
    }
    source = current | {(3,): b"y" * 300_000 + b"\tw", (6,): b"z" * 200_000 + b"\tw"}
    found, candidates, vanished = await _compare(_text(source), _text(current), 97)
    assert found == Found(rows=7, candidates=2, vanished=0) and vanished == []
    assert candidates == [b"3\t" + b"y" * 300_000 + b"\tw", b"6\t" + b"z" * 200_000 + b"\tw"]


async def test_an_emptied_source_vanishes_every_key_and_a_new_one_is_all_candidates() -> None:
    rows = _text({(i,): b"v\tw" for i in range(3)})
    assert await _compare(b"", rows) == (Found(vanished=3), [], [b"0", b"1", b"2"])
    found, candidates, vanished = await _compare(rows, b"")
    assert (found, len(candidates), vanished) == (Found(rows=3, candidates=3), 3, [])


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (b"1\tv\tw\n\\N\tv\tw\n", r"dataset S.d: a source row has a null primary key \(k0\)"),
        (
            b"1\tv\tw\n2\tv\tw\n2\tv\tx\n",
            r"dataset S.d: a snapshot holds a key twice: Key \(k0\)=\(2\) appears more than once",
        ),
        (b"1\tv\tw\n2\tv\tx\n2\tv\tw\n", r"a snapshot holds a key twice: Key \(k0\)=\(2\)"),
        (b"1\tv\tw\n3\tv\tx\n2\tv\tw\n", "the source's rows did not come in key order"),
        (b"1\tv\tw\n2\tv\tw", "a COPY stream ended inside a row"),
    ],
    ids=["null-key", "repeated-key", "repeated-changed-key", "out-of-order", "cut-row"],
)
async def test_a_bad_source_stream_is_refused_naming_what_is_wrong(
    source: bytes, message: str
) -> None:
    current = b"1\tv\tw\n2\tv\tw\n"
    for sizes in (1, 5, 8192):
        with pytest.raises(IngestionError, match=message):
            await _compare(source, current, sizes)
