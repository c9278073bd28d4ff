"""`python -m workers.ingest DATASTORE`: one batch of the datastore's data ingestion.

It reads the active model and the datastore (control-plane URL, ECOPLANE_DATABASE_URL), opens
the warehouse as the datastore's own login role `di_<datastore>` (PGHOST, PGPORT, PGDATABASE,
PGUSER, PGPASSWORD, from the Secret the security sync writes: never the admin's) and the source
(the login in ECOPLANE_SOURCE_USER and ECOPLANE_SOURCE_PASSWORD, from the secret
`ingestion.credential` names), and runs the batch.
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
from app.ecosystem.names import ingestion_role
from app.errors import AppError
from app.ingestion.batch import run_batch
from app.ingestion.batches import BatchRecord
from app.ingestion.source import SourceLogin
from app.jobs.runners.credentials import missing_source_login
from app.jobs.spec import PG_KEYS, SOURCE_PASSWORD, SOURCE_USER, source_secret
from app.logs import configure_logging
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
        login = source_login(datastore, store.ingestion.credential, settings.secret_store)
        warehouse = await connect_warehouse(datastore, settings.role_prefix)
        try:
            run_id = os.environ.get("ECOPLANE_RUN_ID")
            number = _number(run_id)
            return await run_batch(control, warehouse, store, login, number, settings.source_hosts)
        finally:
            await warehouse.close()
    finally:
        await control.close()


def source_login(datastore: str, credential: str | None, store: str = "local") -> SourceLogin:
    """The source login the run was given; UnstartedError naming the credential, its secret and
    the command that sets it when it was not."""
    user, password = os.environ.get(SOURCE_USER), os.environ.get(SOURCE_PASSWORD)
    if not credential:
        raise UnstartedError(f"datastore {datastore!r} declares no ingestion.credential")
    if not user or password is None:
        raise UnstartedError(
            f"datastore {datastore!r}: {missing_source_login(credential, store)} (secret"
            f" {source_secret(credential)}, keys user and password)"
        )
    return SourceLogin(user, password)


async def connect_warehouse(datastore: str, role_prefix: str) -> asyncpg.Connection:
    """The warehouse as `di_<datastore>`, from the libpq variables the run was given."""
    variables = {key: os.environ.get(key) for key in PG_KEYS}
    role = ingestion_role(datastore, role_prefix)
    if not variables["PGUSER"] or variables["PGPASSWORD"] is None:
        raise UnstartedError(
            f"no warehouse login for datastore {datastore!r}: the security sync has not created"
            f" role {role} yet (PGUSER and PGPASSWORD of its credentials are not set)"
        )
    try:
        return await asyncpg.connect(
            host=variables["PGHOST"],
            port=int(variables["PGPORT"] or 5432),
            user=variables["PGUSER"],
            password=variables["PGPASSWORD"],
            database=variables["PGDATABASE"],
        )
    except (OSError, asyncpg.PostgresError) as error:
        where = f"{variables['PGHOST']}:{variables['PGPORT']}/{variables['PGDATABASE']}"
        raise UnstartedError(
            f"cannot connect to the warehouse at {where} as {variables['PGUSER']}:"
            f" {type(error).__name__}"
        ) from None


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
