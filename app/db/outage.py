"""Database outages: which errors mean "the database cannot be reached", and since when.

One place decides it for the API (a 503 problem with `Retry-After` instead of a 500), for
`/readyz` (which says why, and since when) and for the background loops (a WARNING that names
what failed, then a retry, instead of a traceback). A connection-level error is one that says
nothing about the request: the server is gone, restarting or refusing, a pooled connection was
closed under it, or the driver gave up waiting for it.
"""

from __future__ import annotations

import logging
import socket
import time
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime

import asyncpg
from sqlalchemy.exc import DBAPIError

from app.errors import DatabaseUnavailableError

RETRY_AFTER_SECONDS = 5  # what a 503 tells a caller to wait before asking again
DRIVERS = ("/asyncpg/", "/sqlalchemy/")  # an OS error raised under these is the database's
SERVER_GONE = (
    asyncpg.PostgresConnectionError,  # 08xxx, and the driver's "connection was closed"
    asyncpg.AdminShutdownError,  # 57P01: terminated (pg_terminate_backend, a fast shutdown)
    asyncpg.CrashShutdownError,  # 57P02: another backend crashed, every session is ended
    asyncpg.CannotConnectNowError,  # 57P03: starting up, shutting down, recovering
)
# what a database call may raise that a background loop outlives (it logs, then connects again)
DRIVER_ERRORS = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)
# the driver's word for a pooled connection that got the server's goodbye (57P01 after
# pg_terminate_backend) while idle, before it saw the socket close: the protocol is left in its
# error-consuming state (2), and the next query on it is refused with this
ERROR_CONSUMING = "another operation (2) is in progress"
log = logging.getLogger("ecoplane.database")


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, what it was raised from or during, and a SQLAlchemy error's driver error."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        todo += [current.__cause__, current.__context__]
        todo.append(orig if isinstance(orig, BaseException) else None)


def _raised_in_driver(error: BaseException) -> bool:
    frames = traceback.extract_tb(error.__traceback__)
    return any(part in frame.filename for frame in frames for part in DRIVERS)


def _connection_level(error: BaseException) -> bool:
    if isinstance(error, SERVER_GONE):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, asyncpg.InterfaceError):  # a closed connection used (not a misuse)
        return "connection is closed" in str(error)
    if isinstance(error, asyncpg.InternalClientError):
        return str(error).endswith(ERROR_CONSUMING)
    if isinstance(error, socket.gaierror | ConnectionError):
        return True
    # refused, no socket file, timed out: an OS error is the database's when the driver raised it
    return isinstance(error, OSError) and _raised_in_driver(error)


def connection_lost(error: BaseException) -> bool:
    """Whether an error means the database cannot be reached (now), not that a request is wrong."""
    return any(_connection_level(found) for found in _chain(error))


def describe(error: BaseException) -> str:
    """An error in a few words: its type and message (never a URL: asyncpg does not put one)."""
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def unavailable(error: BaseException) -> DatabaseUnavailableError:
    """The AppError a connection-level error becomes (503, `database-unavailable`)."""
    found = DatabaseUnavailableError(f"the database cannot be reached: {describe(error)}")
    found.__cause__ = error
    return found


class Outage:
    """Whether the database answers, as the last requests saw it: since when it does not, and
    why. An outage's start is one WARNING line, its end one INFO line with its length."""

    def __init__(self) -> None:
        self.since: datetime | None = None  # when the current outage was first seen
        self.started = 0.0  # the same, on the monotonic clock
        self.reason = ""

    @property
    def down(self) -> bool:
        """Whether the database was unreachable at the last look."""
        return self.since is not None

    def failed(self, error: BaseException, where: str) -> None:
        """A connection-level error seen by `where` (a route, a loop's name)."""
        self.reason = describe(error)
        if self.since is None:
            self.since, self.started = datetime.now(UTC), time.monotonic()
            log.warning(
                "the database cannot be reached (%s): %s", where, self.reason,
                extra={"where": where, "reason": self.reason},
            )  # fmt: skip

    def recovered(self) -> None:
        """The database answered again."""
        if self.since is not None:
            seconds = time.monotonic() - self.started
            log.info(
                "the database answers again after %.1f s", seconds,
                extra={"outageSeconds": round(seconds, 1)},
            )  # fmt: skip
            self.since, self.reason = None, ""
