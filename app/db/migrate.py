"""Apply, revert and inspect migrations on the control-plane database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).with_name("migrations")
# the key of the advisory lock held while migrating (any constant that no one else uses)
MIGRATION_LOCK = 0x65636F6D  # "ecom"


def alembic_config(
    connection: Connection | None = None, metadata: MetaData | None = None
) -> Config:
    """An Alembic configuration for our migrations, optionally bound to a connection and metadata."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    config.attributes["metadata"] = metadata
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrate the database up to a revision (default: the newest).

    The migration Job and every API replica may start at once: the first to take the lock
    migrates, the others wait until it commits and then find nothing left to do.
    """
    async with engine.begin() as connection:
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
        )
        await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Migrate the database down to a revision (e.g. `-1` or `base`)."""
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), revision))


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None before the first migration."""
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


def head_revision() -> str | None:
    """The newest revision of the code."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def new_revision(engine: AsyncEngine, message: str, metadata: MetaData) -> None:
    """Write a migration for the difference between the database (migrated first) and metadata.

    Views are not compared: a change to them is written into the migration by hand.
    """
    await upgrade(engine)
    async with engine.begin() as connection:
        await connection.run_sync(
            lambda sync: command.revision(
                alembic_config(sync, metadata), message=message, autogenerate=True
            )
        )
