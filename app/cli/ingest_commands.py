"""`ecoplane ingest REF`: read a commit of the model repository now, or queue it for the service."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict

from sqlalchemy.ext.asyncio import AsyncEngine

from app.cli.output import EXIT_OK, EXIT_PROBLEMS, EXIT_UNREADABLE, Commands, fail, note, output
from app.db.engine import driver_connection, open_engine
from app.db.ingest_table import IngestState
from app.db.migrate import upgrade
from app.gitsource.git import check_ref
from app.gitsource.queue import Ingest, get_ingest, queue_ingest
from app.gitsource.service import build_ingestion
from app.settings import Settings

WAIT_SECONDS = 1.0  # while the service's worker holds the lock, look again this often
EXIT_STATUS = {
    IngestState.ACTIVE: EXIT_OK,
    IngestState.REJECTED: EXIT_PROBLEMS,
    IngestState.SUPERSEDED: EXIT_PROBLEMS,
}


def register(commands: Commands) -> None:
    """Add `ingest`."""
    ingest = commands.add_parser(
        "ingest",
        help="ingest a branch, tag or commit of the model repository (ECOPLANE_MODEL_REPO)",
    )
    ingest.add_argument("ref", help="a branch, tag or commit sha")
    ingest.add_argument(
        "--queue-only", action="store_true", help="only queue it for the service's ingest worker"
    )
    ingest.set_defaults(handler=lambda args: asyncio.run(_ingest(args.ref, args.queue_only)))


async def _ingest(ref: str, queue_only: bool) -> int:
    settings = Settings()
    if not settings.model_repo:
        return fail("no model repository is configured: set ECOPLANE_MODEL_REPO")
    ref = check_ref(ref)
    async with open_engine(settings) as engine:
        await upgrade(engine)
        async with engine.connect() as handle:
            connection = await driver_connection(handle)
            queued, _ = await queue_ingest(
                connection, trigger="manual", ref=ref, requested_by="cli"
            )
        note(f"ingest {queued.id} queued for {ref}")
        ingest = queued if queue_only else await _run_until_finished(engine, settings, queued.id)
    output([json.dumps(asdict(ingest), indent=2, default=str)])
    return EXIT_OK if queue_only else EXIT_STATUS.get(ingest.state, EXIT_UNREADABLE)


async def _run_until_finished(engine: AsyncEngine, settings: Settings, ingest_id: int) -> Ingest:
    """Work the queue here until this ingest is finished (a running service may finish it)."""
    worker = build_ingestion(engine, settings).worker
    while True:
        async with engine.connect() as handle:
            ingest = await get_ingest(await driver_connection(handle), ingest_id)
        if ingest.finished:
            return ingest
        if await worker.run_once() is None:
            await asyncio.sleep(WAIT_SECONDS)  # another worker holds the lock
