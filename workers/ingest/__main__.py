"""`python -m workers.ingest DATASTORE`: one batch of the datastore's data ingestion.

It reads the active model and the datastore, opens the warehouse (the admin URL, until each
datastore has a login role of its own) and the source (the login in ECOPLANE_SOURCE_USER and
ECOPLANE_SOURCE_PASSWORD, from the secret `ingestion.credential` names), and runs the batch.
Exit 0 when the batch committed (its record printed as JSON), 1 when it failed (the warehouse
is left as it was; the reason is printed), 2 when it cannot start (no such datastore, no login).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

import asyncpg

from app.catalog.rebuild import model_of_version
from app.catalog.versions import resolve_version
from app.db.engine import database_url
from app.db.urls import asyncpg_dsn
from app.errors import AppError
from app.ingestion.batch import run_batch
from app.ingestion.batches import BatchRecord
from app.ingestion.source import SourceLogin
from app.jobs.spec import SOURCE_PASSWORD, SOURCE_USER, source_secret
from app.logs import configure_logging
from app.security.warehouses.postgres_connection import connect, warehouse_url
from app.settings import Settings

EXIT_OK, EXIT_FAILED, EXIT_UNSTARTED = 0, 1, 2
log = logging.getLogger("ecoplane.ingest")


class UnstartedError(Exception):
    """The batch cannot start: says why."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one batch of the datastore named on the command line."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m workers.ingest DATASTORE", file=sys.stderr)
        return EXIT_UNSTARTED
    configure_logging()
    datastore = args[0]
    try:
        record = asyncio.run(ingest(datastore, Settings()))
    except UnstartedError as error:
        return _fail(datastore, str(error), EXIT_UNSTARTED)
    except AppError as error:
        return _fail(datastore, error.detail, EXIT_FAILED)
    except (OSError, asyncpg.PostgresError) as error:  # e.g. the control plane is unreachable
        return _fail(datastore, f"{type(error).__name__}: {error}", EXIT_FAILED)
    print(json.dumps(_shown(record), indent=2))
    return EXIT_OK


async def ingest(datastore: str, settings: Settings) -> BatchRecord:
    """One batch of the active model's datastore; AppError when it failed, UnstartedError before."""
    control = await asyncpg.connect(asyncpg_dsn(await database_url(settings)))
    try:
        version = await resolve_version(control, None)
        store = (await model_of_version(control, version.id)).datastores.get(datastore)
        if store is None or store.ingestion is None:
            raise UnstartedError(
                f"model version {version.id} has no ingested datastore {datastore!r}"
            )
        login = source_login(datastore, store.ingestion.credential)
        warehouse = await connect(await warehouse_url(settings))
        try:
            run_id = os.environ.get("ECOPLANE_RUN_ID")
            number = _number(run_id)
            return await run_batch(control, warehouse, store, login, number, settings.source_hosts)
        finally:
            await warehouse.close()
    finally:
        await control.close()


def source_login(datastore: str, credential: str | None) -> SourceLogin:
    """The source login the run was given; UnstartedError naming the secret when it was not."""
    user, password = os.environ.get(SOURCE_USER), os.environ.get(SOURCE_PASSWORD)
    if not credential:
        raise UnstartedError(f"datastore {datastore!r} declares no ingestion.credential")
    if not user or password is None:
        raise UnstartedError(
            f"no source login for datastore {datastore!r}: secret {source_secret(credential)}"
            f" (keys user, password; ingestion.credential {credential!r}) is not in the secret"
            " store"
        )
    return SourceLogin(user, password)


def _number(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def _shown(record: BatchRecord) -> dict[str, object]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(record).items()}


def _fail(datastore: str, reason: str, status: int) -> int:
    log.error("ingestion of %s failed: %s", datastore, reason, extra={"datastore": datastore})
    print(f"ingestion of {datastore} failed: {reason}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
