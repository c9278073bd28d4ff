"""A reader sees one whole version, never a mix; a killed load leaves the previous one active."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from itertools import pairwise

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog import store
from app.catalog.retention import fail_interrupted
from app.catalog.store import store_model
from app.db.urls import asyncpg_dsn
from app.ecosystem.loader import load_directory, load_texts
from app.ecosystem.model_tables import MODEL_TABLES
from tests.conftest import EXAMPLES
from tests.ecosystem.modeltext import BASE

COUNTS = (
    "SELECT (SELECT id FROM current_model_version), (SELECT count(*) FROM current_datastores),"
    " (SELECT count(*) FROM current_columns), (SELECT count(*) FROM current_sinks)"
)


async def _counts(connection: asyncpg.Connection) -> tuple[object, ...]:
    row = await connection.fetchrow(COUNTS)
    assert row is not None
    return tuple(row)


async def test_reader_during_a_load_sees_the_old_version_until_commit(
    engine: AsyncEngine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = await store_model(engine, load_texts(dict(BASE)), source="small")
    reader = await asyncpg.connect(asyncpg_dsn(database_url))
    before = await _counts(reader)
    seen_mid_load: list[tuple[object, ...]] = []
    real_write_table = store._write_table

    async def write_then_look(*args: object, **kwargs: object) -> int:
        rows = await real_write_table(*args, **kwargs)  # type: ignore[arg-type]
        # this table's partition is filled and attached, the transaction still open
        seen_mid_load.append(await _counts(reader))
        return rows

    monkeypatch.setattr(store, "_write_table", write_then_look)
    try:
        new = await store_model(engine, load_directory(EXAMPLES / "acme"), source="acme")
        after = await _counts(reader)
    finally:
        await reader.close()
    assert len(seen_mid_load) == 16  # one look after every table
    assert set(seen_mid_load) == {before}
    assert before[0] == old.id and after[0] == new.id
    assert after[1:] == (24, 647, 88) and before[1:] == (3, 125, 1)


async def test_concurrent_readers_see_old_or_new_never_a_mix(
    engine: AsyncEngine, database_url: str
) -> None:
    await store_model(engine, load_texts(dict(BASE)), source="small")
    reader = await asyncpg.connect(asyncpg_dsn(database_url))
    old = await _counts(reader)
    observed: list[tuple[object, ...]] = []
    done = asyncio.Event()

    async def keep_reading() -> None:
        while not done.is_set():
            observed.append(await _counts(reader))

    task = asyncio.create_task(keep_reading())
    try:
        await store_model(engine, load_directory(EXAMPLES / "acme"), source="acme")
    finally:
        done.set()
        await task
    new = await _counts(reader)
    await reader.close()
    assert observed, "the reader ran"
    assert set(observed) <= {old, new}
    # what was seen is a run of old then a run of new: the switch happens once
    switches = sum(1 for a, b in pairwise(observed) if a != b)
    assert switches <= 1


KILLED_LOADER = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from app.catalog import store
    from app.db.engine import create_engine
    from app.ecosystem.loader import load_directory

    real = store._write_table

    async def write_then_hang(*args, **kwargs):
        rows = await real(*args, **kwargs)
        print("written", flush=True)  # one partition filled and attached, the transaction open
        await asyncio.sleep(3600)
        return rows

    store._write_table = write_then_hang

    async def main():
        engine = create_engine(sys.argv[1])
        await store.store_model(engine, load_directory(Path(sys.argv[2])), source="doomed")

    asyncio.run(main())
    """
)


async def test_a_killed_load_leaves_the_previous_version_and_no_rows(
    engine: AsyncEngine, database_url: str
) -> None:
    active = await store_model(engine, load_texts(dict(BASE)), source="small")
    loader = subprocess.Popen(
        [sys.executable, "-c", KILLED_LOADER, database_url, str(EXAMPLES / "acme")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert loader.stdout is not None
    try:
        assert loader.stdout.readline().strip() == "written"
    finally:
        os.kill(loader.pid, signal.SIGKILL)
        loader.wait(timeout=30)
    db = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        doomed = await db.fetchval("SELECT id FROM model_versions WHERE source = 'doomed'")
        # the server notices the dead client and rolls its transaction back
        for _ in range(100):
            if not await db.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND state LIKE 'idle in transaction%'"
            ):
                break
            await asyncio.sleep(0.1)
        assert await db.fetchval("SELECT id FROM current_model_version") == active.id
        assert (
            await db.fetchval("SELECT count(*) FROM model_datastores WHERE version_id = $1", doomed)
            == 0
        )
        leftovers = [
            await db.fetchval(f"SELECT count(*) FROM model_{t} WHERE version_id = $1", doomed)
            for t in MODEL_TABLES
        ]
        assert leftovers == [0] * len(MODEL_TABLES)
        partitions = await db.fetchval(
            "SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relname LIKE $1",
            f"model\\_%\\_v{doomed}",
        )
        assert partitions == 0
        assert (
            await db.fetchval("SELECT state FROM model_versions WHERE id = $1", doomed) == "loading"
        )
        assert await fail_interrupted(engine) == [doomed]
        assert (
            await db.fetchval("SELECT state FROM model_versions WHERE id = $1", doomed) == "failed"
        )
    finally:
        await db.close()
