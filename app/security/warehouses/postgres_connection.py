"""Where the Postgres warehouse is: configured, or database `warehouse` beside the control plane."""

from __future__ import annotations

import asyncpg
from sqlalchemy.engine import make_url

from app.db.embedded import WAREHOUSE_DATABASE, ensure_database, start_embedded
from app.db.urls import asyncpg_dsn, redacted
from app.errors import DatabaseUnavailableError
from app.security.warehouses.base import Endpoint
from app.settings import Settings

_resolved: dict[tuple[str | None, str], str] = {}  # the default, found once per process


async def warehouse_url(settings: Settings) -> str:
    """The admin URL of the warehouse; the default database is created when missing."""
    if settings.warehouse_url:
        return settings.warehouse_url
    key = (settings.database_url, str(settings.data_dir))
    if key not in _resolved:
        _resolved[key] = await _default(settings)
    return _resolved[key]


async def _default(settings: Settings) -> str:
    server = settings.database_url or start_embedded(settings.data_dir)
    try:
        return await ensure_database(server, WAREHOUSE_DATABASE)
    except (OSError, asyncpg.PostgresError) as error:
        raise DatabaseUnavailableError(
            f"cannot reach the warehouse database on {redacted(server)}: {type(error).__name__}"
        ) from None


def endpoint(url: str) -> Endpoint:
    """The host, port and database a transformer is given (from the warehouse URL)."""
    parsed = make_url(url)
    host = parsed.host or parsed.query.get("host") or "localhost"
    return Endpoint(str(host), parsed.port or 5432, parsed.database or "postgres")


async def connect(url: str) -> asyncpg.Connection:
    """An admin connection to the warehouse."""
    try:
        return await asyncpg.connect(asyncpg_dsn(url))
    except (OSError, asyncpg.PostgresError) as error:
        raise DatabaseUnavailableError(
            f"cannot connect to the warehouse at {redacted(url)}: {type(error).__name__}"
        ) from None
