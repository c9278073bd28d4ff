"""The API remembers the active version for a moment, and no longer."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import store_model
from app.catalog.versions import ActiveVersion, VersionRef
from app.db.lender import ReadLender
from app.ecosystem.loader import load_texts
from tests.ecosystem.modeltext import BASE


async def test_active_version_is_remembered_for_the_given_seconds(
    engine: AsyncEngine, lender: ReadLender
) -> None:
    first = await store_model(engine, load_texts(dict(BASE)), source="one")
    remembered = ActiveVersion()
    assert (await remembered.get(lender.lend, 3600)).id == first.id
    second = await store_model(engine, load_texts({**BASE, "note.yaml": "# two\n"}), source="two")
    assert (await remembered.get(lender.lend, 3600)).id == first.id  # still fresh: no query
    assert (await remembered.get(lender.lend, 0)).id == second.id  # expired: read again
    third = await store_model(
        engine, load_texts({**BASE, "note.yaml": "# three\n"}), source="three"
    )
    await remembered.forget(third.id)  # what the activation hook does on every replica
    assert (await remembered.get(lender.lend, 3600)).id == third.id


async def test_requests_that_ask_at_once_share_one_read(
    engine: AsyncEngine, lender: ReadLender
) -> None:
    stored = await store_model(engine, load_texts(dict(BASE)), source="one")
    remembered = ActiveVersion()
    reads = 0
    original = remembered._read

    async def counted(*args: Any) -> VersionRef:
        nonlocal reads
        reads += 1
        return await original(*args)

    remembered._read = counted  # type: ignore[method-assign,assignment]
    found = await asyncio.gather(*(remembered.get(lender.lend, 0) for _ in range(32)))
    assert {ref.id for ref in found} == {stored.id}
    assert reads == 1  # thirty-two at once, one query


async def test_past_half_its_time_the_version_is_read_ahead_and_no_request_waits(
    engine: AsyncEngine, lender: ReadLender
) -> None:
    first = await store_model(engine, load_texts(dict(BASE)), source="one")
    remembered = ActiveVersion()
    assert (await remembered.get(lender.lend, 3600)).id == first.id
    second = await store_model(engine, load_texts({**BASE, "note.yaml": "# two\n"}), source="two")
    remembered.read_at -= 1799  # not yet half of the hour: no read
    assert (await remembered.get(lender.lend, 3600)).id == first.id and remembered.reading is None
    remembered.read_at -= 2  # past half of it: answered at once, the read goes on behind
    async with lender.lend(), lender.lend():  # both connections are lent: the read waits
        assert (await remembered.get(lender.lend, 3600)).id == first.id
        reading = remembered.reading
        assert reading is not None and not reading.done()
        assert (await remembered.get(lender.lend, 3600)).id == first.id  # one read, still going
        assert remembered.reading is reading
    assert (await reading).id == second.id
    assert (await remembered.get(lender.lend, 3600)).id == second.id and remembered.reading is None


async def test_a_read_started_before_an_activation_is_not_kept(
    engine: AsyncEngine, lender: ReadLender
) -> None:
    stored = await store_model(engine, load_texts(dict(BASE)), source="one")
    remembered = ActiveVersion()
    assert (await remembered.get(lender.lend, 3600)).id == stored.id
    released = asyncio.Event()
    answers = [VersionRef(stored.id, "active"), VersionRef(stored.id + 1, "active")]

    async def resolved(connection: asyncpg.Connection, ref: str | None) -> VersionRef:
        answer = answers.pop(0)
        if answer.id == stored.id:  # the read from before the activation: held back
            await released.wait()
        return answer

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("app.catalog.versions.resolve_version", resolved)
        remembered.read_at -= 1801  # read ahead: it reads the version of before
        assert (await remembered.get(lender.lend, 3600)).id == stored.id
        before = remembered.reading
        assert before is not None
        await remembered.forget(stored.id + 1)  # the activation
        assert (await remembered.get(lender.lend, 3600)).id == stored.id + 1  # waits: a new read
        released.set()
        assert (await before).id == stored.id  # the old read ends ...
    assert (await remembered.get(lender.lend, 3600)).id == stored.id + 1  # ... and is not kept
