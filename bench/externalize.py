"""Benchmark: store and activate the large generated model, against two baselines in the same run.

The model is the one of bench/model_load.py (2,000 datastores, 32,000 datasets, 4,000
workspaces, 1,000 transformers). Three ways of writing the same rows into a fresh database of
an embedded Postgres (or ECOPLANE_BENCH_DATABASE_URL's server):

  ecoplane     store_model: partitions filled by COPY, attached, version activated
  bare COPY    asyncpg copy_records_to_table of prepared rows into plain tables, one transaction
  executemany  SQLAlchemy Core execute(insert(table), rows) (what DataSurface's externalizer does)

Each method runs --runs times (default 5) into a fresh database; prints the median times,
both ratios and the peak RSS; exit status 1 when a target is missed
(ecoplane within 2x of bare COPY, and at least 5x faster than executemany).

    .venv/bin/python bench/externalize.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, Table, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.rows import ROWS
from app.catalog.schema import ENTITY_TABLES, stored_columns
from app.catalog.store import store_model
from app.db.embedded import start_embedded
from app.db.engine import create_engine
from app.db.migrate import upgrade
from app.db.urls import asyncpg_dsn, with_database
from app.ecosystem.loader import ModelLimits, load_directory
from app.ecosystem.model import Model

sys.path.insert(0, str(Path(__file__).parent))
from model_load import SIZE

MAX_VS_COPY, MIN_VS_EXECUTEMANY = 2.0, 5.0


MADE: list[str] = []  # the databases of this run, dropped at its end


async def _fresh_database(server: str) -> str:
    """A new database; a checkpoint first, so no run pays for the previous run's writes."""
    name = f"bench_{uuid.uuid4().hex[:8]}"
    MADE.append(name)
    admin = await asyncpg.connect(asyncpg_dsn(server))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.execute("CHECKPOINT")
    await admin.close()
    return with_database(server, name)


def _plain_tables() -> MetaData:
    """The model tables without partitioning, for the baselines."""
    metadata = MetaData()
    for name, table in ENTITY_TABLES.items():
        Table(
            f"plain_{name}",
            metadata,
            *(Column(c.name, c.type, nullable=c.nullable) for c in table.columns),
            PrimaryKeyConstraint(*table.primary_key.columns.keys()),
        )
    return metadata


async def _ecoplane(server: str, model: Model) -> float:
    url = await _fresh_database(server)
    engine = create_engine(url)
    await upgrade(engine)
    start = time.perf_counter()
    stored = await store_model(engine, model, source="bench")
    elapsed = time.perf_counter() - start
    await engine.dispose()
    assert stored.state.value == "active", stored
    return elapsed


async def _plain_database(server: str) -> tuple[AsyncEngine, MetaData]:
    """A fresh database with the baselines' plain tables, and an engine on it."""
    engine = create_engine(await _fresh_database(server))
    metadata = _plain_tables()
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    return engine, metadata


def _names(table: str) -> list[str]:
    return ["version_id", *stored_columns(table)]


async def _bare_copy(server: str, rows: dict[str, list[tuple[object, ...]]]) -> float:
    engine, _ = await _plain_database(server)
    url = engine.url.render_as_string(hide_password=False)
    await engine.dispose()
    connection = await asyncpg.connect(asyncpg_dsn(url))
    start = time.perf_counter()
    async with connection.transaction():
        for name, records in rows.items():
            await connection.copy_records_to_table(
                f"plain_{name}", records=records, columns=_names(name)
            )
    elapsed = time.perf_counter() - start
    await connection.close()
    return elapsed


async def _executemany(server: str, rows: dict[str, list[tuple[object, ...]]]) -> float:
    engine, metadata = await _plain_database(server)
    dicts = {
        name: [dict(zip(_names(name), r, strict=True)) for r in records]
        for name, records in rows.items()
    }
    start = time.perf_counter()
    async with engine.begin() as connection:
        for name, records in dicts.items():
            if records:
                await connection.execute(insert(metadata.tables[f"plain_{name}"]), records)
    elapsed = time.perf_counter() - start
    await engine.dispose()
    return elapsed


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--keep", type=Path, help="generate the model into (or reuse) this directory"
    )
    parser.add_argument(
        "--runs", type=int, default=5, help="runs of each method; medians are printed"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        model_dir = args.keep or Path(scratch, "model")
        if not (model_dir / "ecosystem.yaml").exists():
            cli = Path(sys.executable).with_name("ecoplane")
            subprocess.run([str(cli), "example", "generate", str(model_dir), *SIZE], check=True)
        model = load_directory(
            model_dir, ModelLimits(2**30, 2**32, 10**9)
        )  # past one upload's bounds
        server = os.environ.get("ECOPLANE_BENCH_DATABASE_URL") or start_embedded(
            Path(scratch, "pg")
        )
        # the same rows for the baselines, prepared before their clocks start
        rows = {name: [(1, *row) for row in build(model)] for name, build in ROWS.items()}
        total_rows = sum(len(r) for r in rows.values())
        try:
            runs = [
                (
                    await _ecoplane(server, model),
                    await _bare_copy(server, rows),
                    await _executemany(server, rows),
                )
                for _ in range(args.runs)
            ]
        finally:  # on ECOPLANE_BENCH_DATABASE_URL's server, leave nothing behind
            admin = await asyncpg.connect(asyncpg_dsn(server))
            for name in MADE:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
        ours, copy, many = (statistics.median(r[i] for r in runs) for i in range(3))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"rows: {total_rows} in {len(rows)} tables ({model.errors} errors); medians of {args.runs} runs"
    )
    print(f"ecoplane store+activate: {ours:.2f} s ({total_rows / ours:,.0f} rows/s)")
    print(f"bare COPY:               {copy:.2f} s ({total_rows / copy:,.0f} rows/s)")
    print(f"executemany (Core):      {many:.2f} s ({total_rows / many:,.0f} rows/s)")
    print(f"ecoplane / bare COPY: {ours / copy:.2f} (target <= {MAX_VS_COPY})")
    print(f"executemany / ecoplane: {many / ours:.2f} (target >= {MIN_VS_EXECUTEMANY})")
    print(f"peak RSS: {rss_mb:.0f} MB")
    missed = ours / copy > MAX_VS_COPY or many / ours < MIN_VS_EXECUTEMANY
    print("RESULT:", "target missed" if missed else "within target")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
