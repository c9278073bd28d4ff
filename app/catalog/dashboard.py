"""The read-only role for dashboards: SELECT on the model tables and views, nothing else."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.schema import ENTITY_PREFIX, VIEW_PREFIX
from app.db.engine import driver_connection
from app.ecosystem.model_tables import MODEL_TABLES

DASHBOARD_ROLE = "ecoplane_dashboard"
READABLE = [
    "model_versions",
    "model_version_commits",
    "current_model_version",
    *(f"{ENTITY_PREFIX}{name}" for name in MODEL_TABLES),
    *(f"{VIEW_PREFIX}{name}" for name in MODEL_TABLES),
]


async def grant_dashboard(engine: AsyncEngine, password: str) -> None:
    """Create (or update) the dashboard role with this password and grant it read access."""
    if not password:
        raise ValueError("the dashboard password is empty")
    async with engine.connect() as handle:
        connection = await driver_connection(handle)
        async with connection.transaction():
            exists = await connection.fetchval(
                "SELECT 1 FROM pg_roles WHERE rolname = $1", DASHBOARD_ROLE
            )
            verb = "ALTER" if exists else "CREATE"
            # utility statements take no parameters: the server quotes the literal (%L)
            statement = await connection.fetchval(
                f"SELECT format('{verb} ROLE {DASHBOARD_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
                " PASSWORD %L', $1::text)",
                password,
            )
            await connection.execute(statement)
            await connection.execute(
                f"ALTER ROLE {DASHBOARD_ROLE} SET default_transaction_read_only = on"
            )
            database = await connection.fetchval("SELECT current_database()")
            await connection.execute(f'GRANT CONNECT ON DATABASE "{database}" TO {DASHBOARD_ROLE}')
            await connection.execute(f"GRANT USAGE ON SCHEMA public TO {DASHBOARD_ROLE}")
            await connection.execute(f"GRANT SELECT ON {', '.join(READABLE)} TO {DASHBOARD_ROLE}")
