"""Soak: readers query the current_* views while versions are stored and retired; none may see a mix.

Two model shapes alternate (the small base model and examples/acme, each with new content every
time, so every load is a new version), retention keeps 3 versions, and three readers (prepared
and fresh statements) count rows of several views in one statement each. Every observation
must be one whole version: the counts of the small shape or of the large one. Prints the reads
and the inconsistent ones; exit status 1 if there was any.

    .venv/bin/python bench/read_consistency.py [--loads 40]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

import asyncpg

from app.catalog.retention import apply_retention
from app.catalog.store import store_model
from app.db.embedded import ensure_database, start_embedded
from app.db.engine import create_engine
from app.db.migrate import upgrade
from app.db.urls import asyncpg_dsn
from app.ecosystem.loader import load_texts
from app.ecosystem.model import Model

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.ecosystem.modeltext import BASE  # noqa: E402

COUNTS = (
    "SELECT (SELECT id FROM current_model_version), (SELECT count(*) FROM current_datastores),"
    " (SELECT count(*) FROM current_columns), (SELECT count(*) FROM current_sinks)"
)


def _model(n: int) -> Model:
    """A new version each time: the base model or acme, with a comment file making it unique."""
    if n % 2:
        return load_texts({**BASE, "note.yaml": f"# load {n}\n"})
    texts = {
        str(p.relative_to(ROOT / "examples/acme")): p.read_text()
        for p in (ROOT / "examples/acme").rglob("*.yaml")
    }
    return load_texts({**texts, "note.yaml": f"# load {n}\n"})


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--loads", type=int, default=40)
    args = parser.parse_args()
    shapes = {_shape(_model(1)), _shape(_model(2))}
    with tempfile.TemporaryDirectory() as scratch:
        url = await ensure_database(start_embedded(Path(scratch)), "soak")
        engine = create_engine(url)
        await upgrade(engine)
        done, bad, reads = asyncio.Event(), [], [0, 0, 0]

        async def reader(index: int) -> None:
            connection = await asyncpg.connect(asyncpg_dsn(url))
            while not done.is_set():
                row: asyncpg.Record | None
                if index % 2:  # a fresh statement each time: planned anew
                    row = (await connection.fetch(f"{COUNTS} -- {reads[index]}"))[0]
                else:  # a prepared statement: a cached plan
                    row = await connection.fetchrow(COUNTS)
                reads[index] += 1
                if row is not None and row[0] is not None and tuple(row[1:]) not in shapes:
                    bad.append(tuple(row))
            await connection.close()

        readers = [asyncio.create_task(reader(i)) for i in range(3)]
        for n in range(args.loads):
            await store_model(engine, _model(n), source=f"soak {n}")
            await apply_retention(engine, keep=3)
        done.set()
        await asyncio.gather(*readers)
        await engine.dispose()
    print(
        f"loads: {args.loads}; reads: {sum(reads)} ({', '.join(map(str, reads))}); inconsistent: {len(bad)}"
    )
    for row in bad[:5]:
        print("  seen:", row)
    print("RESULT:", "inconsistent reads" if bad else "every read saw one whole version")
    return 1 if bad else 0


def _shape(model: Model) -> tuple[int, int, int]:
    """The counts a reader must see for a model: datastores, columns, sinks."""
    columns = sum(len(d.columns) for s in model.datastores.values() for d in s.body.datasets)
    sinks = sum(len(g.sinks) for w in model.workspaces.values() for g in w.spec.dataset_groups)
    return len(model.datastores), columns, sinks


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
