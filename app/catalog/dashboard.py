"""The read-only role for dashboards: SELECT on the model and on the records of the work, nothing
secret.

It reads the model tables and views, and the records of what ran: runs, ingests, the audit of
security syncs, ingestion batches, events and their deliveries, pull-request checks. A column
that may hold a secret stays hidden (column-level SELECT on the rest of its table): a run's log
tail (on Kubernetes nothing masks what a program prints), an event's data (a run's events
carry that tail), and a subscription's URL (a webhook URL often embeds its token) and the name
of the variable holding its HMAC secret.
"""

from __future__ import annotations

import logging
import re

import asyncpg
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.schema import ENTITY_PREFIX, VIEW_PREFIX
from app.db.engine import driver_connection
from app.db.event_tables import event_subscriptions, events
from app.db.run_table import Run
from app.ecosystem.model_tables import MODEL_TABLES

log = logging.getLogger(__name__)

ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")  # as ECOPLANE_DASHBOARD_ROLE's pattern
# the key of the advisory lock held while granting: replicas starting at once would otherwise
# fail with "tuple concurrently updated" (any constant that no one else uses)
GRANT_LOCK = 0x65636464  # "ecdd"
MODEL = [
    "model_versions",
    "model_version_commits",
    "model_version_activations",
    "current_model_version",
    *(f"{ENTITY_PREFIX}{name}" for name in MODEL_TABLES),
    *(f"{VIEW_PREFIX}{name}" for name in MODEL_TABLES),
]
WORK = [
    "runs",
    "ingests",
    "security_syncs",
    "security_sync_operations",
    "batches",
    "checks",
    "events",
    "deliveries",
    "event_subscriptions",
]
# the tables with columns the role may not read, and those columns: it reads the others
HIDDEN: dict[str, tuple[Table, tuple[str, ...]]] = {
    "runs": (Run.__table__, ("log_tail",)),  # type: ignore[attr-defined]
    "events": (events, ("data",)),
    "event_subscriptions": (event_subscriptions, ("url", "secret_env")),
}
READABLE = [*MODEL, *(name for name in WORK if name not in HIDDEN)]


def _check_name(role: str) -> None:
    """The name goes into SQL unquoted: only what the setting's pattern lets through."""
    if not ROLE_NAME.fullmatch(role):
        raise ValueError(f"the dashboard role {role!r} is not a lower-case SQL identifier")


def shown_columns(table: str) -> list[str]:
    """The columns of a table with hidden columns that the role may read, in table order."""
    definition, hidden = HIDDEN[table]
    return [column.name for column in definition.columns if column.name not in hidden]


async def grant_dashboard(engine: AsyncEngine, role: str, password: str) -> None:
    """Create (or update) the dashboard role `role` (`ECOPLANE_DASHBOARD_ROLE`) with this
    password and grant it read access."""
    if not password:
        raise ValueError("the dashboard password is empty")
    _check_name(role)
    async with engine.connect() as handle:
        connection = await driver_connection(handle)
        async with connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock($1)", GRANT_LOCK)
            exists = await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            verb = "ALTER" if exists else "CREATE"
            # utility statements take no parameters: the server quotes the literal (%L)
            statement = await connection.fetchval(
                f"SELECT format('{verb} ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
                " PASSWORD %L', $1::text)",
                password,
            )
            await connection.execute(statement)
            await connection.execute(f"ALTER ROLE {role} SET default_transaction_read_only = on")
            await _grant_reads(connection, role)


async def refresh_dashboard_grants(engine: AsyncEngine, role: str) -> bool:
    """Grant the dashboard role `role`, when it exists, what this version lets it read; False
    without one.

    The service calls it at every start and `ecoplane db upgrade` after migrating, so a role
    made by an older version reads the tables and columns a newer one added. A database user
    that may not grant them (it does not own the tables) leaves a WARNING and the role as it was.
    """
    _check_name(role)
    async with engine.connect() as handle:
        connection = await driver_connection(handle)
        try:
            async with connection.transaction():
                await connection.execute("SELECT pg_advisory_xact_lock($1)", GRANT_LOCK)
                if not await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
                    return False
                await _grant_reads(connection, role)
        except asyncpg.InsufficientPrivilegeError as error:
            user = await connection.fetchval("SELECT current_user")
            log.warning(
                "the role %s keeps its earlier grants: %s may not grant it what it reads now"
                " (%s); run `ecoplane db grant-dashboard` as the owner of the tables",
                role, user, error,
            )  # fmt: skip
            return False
    log.info("the role %s may read the model and the records of the work", role)
    return True


async def _grant_reads(connection: asyncpg.Connection, role: str) -> None:
    """CONNECT, USAGE on public, SELECT on what it reads; only the shown columns of the tables
    with hidden ones (their table-wide SELECT revoked first, which revokes the column ones too,
    so a column hidden later is taken back)."""
    database = await connection.fetchval("SELECT current_database()")
    await connection.execute(f'GRANT CONNECT ON DATABASE "{database}" TO {role}')
    await connection.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    await connection.execute(f"GRANT SELECT ON {', '.join(READABLE)} TO {role}")
    for table in HIDDEN:
        await connection.execute(f"REVOKE SELECT ON {table} FROM {role}")
        shown = ", ".join(shown_columns(table))
        await connection.execute(f"GRANT SELECT ({shown}) ON {table} TO {role}")
