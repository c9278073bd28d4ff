"""`ecoplane run TRANSFORMER` and `ecoplane ingestion DATASTORE` (start it here and wait), and
`ecoplane runs` (the run records)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from app.cli.output import EXIT_OK, EXIT_PROBLEMS, Commands, note, output
from app.db.engine import create_engine, create_pool, database_url
from app.db.migrate import upgrade
from app.db.run_table import RunState
from app.examples.embedded_default import with_example_path, with_example_sources
from app.jobs.pooled import acquire
from app.jobs.runs import Run, RunFilter, get_run, list_runs
from app.jobs.service import JobService
from app.resources import job_service
from app.settings import Settings


def register(commands: Commands) -> None:
    """Add `run`, `ingestion` and `runs`."""
    run = commands.add_parser(
        "run", help="run a transformer of the active model now, with the configured runner"
    )
    run.add_argument("transformer", help="the transformer's name (case-sensitive)")
    run.add_argument("--key", help="an idempotency key: the same key gives the same run")
    run.set_defaults(handler=lambda args: asyncio.run(_run(args.transformer, args.key)))
    ingestion = commands.add_parser(
        "ingestion",
        help="ingest a datastore of the active model now (one batch), with the configured runner",
    )
    ingestion.add_argument("datastore", help="the datastore's name (case-sensitive)")
    ingestion.add_argument("--key", help="an idempotency key: the same key gives the same run")
    ingestion.set_defaults(handler=lambda args: asyncio.run(_ingestion(args.datastore, args.key)))
    runs = commands.add_parser("runs", help="the recorded runs, newest first")
    runs.add_argument("--kind", help="only this kind (transformer, security-sync, ...)")
    runs.add_argument(
        "--target", help="only runs of this transformer (or datastore, for ingestion)"
    )
    runs.add_argument(
        "--state", choices=list(RunState), type=RunState, help="only runs in this state"
    )
    runs.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    runs.add_argument("--format", choices=("text", "json"), default="text")
    runs.set_defaults(handler=lambda args: asyncio.run(_runs(args)))


def _json(run: Run) -> str:
    return json.dumps(
        {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(run).items()},
        indent=2,
    )


async def _run(transformer: str, key: str | None) -> int:
    async def start(service: JobService) -> tuple[Run, bool]:
        return await service.start_transformer(transformer, "manual", key=key, requested_by="cli")

    return await _started_and_waited(transformer, start)


async def _ingestion(datastore: str, key: str | None) -> int:
    async def start(service: JobService) -> tuple[Run, bool]:
        return await service.start_ingestion(datastore, "manual", key=key, requested_by="cli")

    return await _started_and_waited(f"the ingestion of {datastore}", start)


async def _started_and_waited(
    what: str, start: Callable[[JobService], Awaitable[tuple[Run, bool]]]
) -> int:
    """Start a run here, wait for it and the runs it starts; print it; exit 0 if it succeeded."""
    settings = with_example_path(Settings())
    url = await database_url(settings)
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    pool = await create_pool(url, size=2)
    service = job_service(with_example_sources(settings, url), url, pool)
    try:
        run, created = await start(service)
        note(f"run {run.id} of {what} {'started' if created else 'existed already'}")
        await service.settled(run.id)
        async with acquire(pool) as connection:
            done = await get_run(connection, run.id)
        if service.following:
            note(f"waiting for the runs it started: {sorted(service.following)}")
            await service.idle()  # onInputChange transformers that read its output
    finally:
        await service.close()
        await pool.close()
    output([_json(done)])
    return EXIT_OK if done.state == RunState.SUCCEEDED else EXIT_PROBLEMS


async def _runs(args: Any) -> int:
    pool = await create_pool(await database_url(Settings()), size=1)
    try:
        async with acquire(pool) as connection:
            where = RunFilter(args.kind, args.target, args.state)
            found = await list_runs(connection, where, None, max(1, args.limit))
    finally:
        await pool.close()
    found = found[: max(1, args.limit)]
    if args.format == "json":
        output([json.dumps(json.loads(f"[{','.join(_json(r) for r in found)}]"), indent=2)])
        return EXIT_OK
    output(
        f"{r.id:>6}  {r.state:<10} {r.kind:<14} {r.target:<28} {r.trigger:<13}"
        f" {r.created_at:%Y-%m-%d %H:%M:%S}  exit {r.exit_code if r.exit_code is not None else '-'}"
        for r in found
    )
    return EXIT_OK
