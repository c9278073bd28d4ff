"""Apply, revert and inspect migrations on the control-plane database.

A start finds the database at the newest revision almost always: `upgrade` then reads the
revision (one query) and returns without loading Alembic, whose import and script directory
cost ~0.2 s of CPU and ~7 MB. Anything else (an older database, a fresh one) goes through
Alembic under the migration lock, as before.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
# the key of the advisory lock held while migrating (any constant that no one else uses)
MIGRATION_LOCK = 0x65636F6D  # "ecom"
_REVISION = re.compile(r"""^revision: str = ["']([^"']+)["']$""", re.MULTILINE)
_DOWN = re.compile(r"""^down_revision: str \| None = (None|["']([^"']+)["'])$""", re.MULTILINE)


def alembic_config(
    connection: Connection | None = None, metadata: MetaData | None = None
) -> Config:
    """An Alembic configuration for our migrations, optionally bound to a connection and metadata."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    config.attributes["metadata"] = metadata
    return config


def declared_head() -> str | None:
    """The newest revision as the migration files declare it (read as text, no Alembic), or
    None when they do not say it plainly (a merge, two heads, another spelling): Alembic decides."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text()
        revision, down = _REVISION.findall(source), _DOWN.findall(source)
        if not revision and not down:
            continue  # __init__.py
        if len(revision) != 1 or len(down) != 1:
            return None
        revisions.add(revision[0])
        if down[0][1]:
            parents.add(down[0][1])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrate the database up to a revision (default: the newest).

    The migration Job and every API replica may start at once: the first to take the lock
    migrates, the others wait until it commits and then find nothing left to do. A database
    already at the newest revision is left at once (nothing to take a lock for).
    """
    if revision == "head" and await _at(engine, declared_head()):
        return
    from alembic import command

    async with engine.begin() as connection:
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
        )
        await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))


async def _at(engine: AsyncEngine, head: str | None) -> bool:
    """Whether the database's recorded revision is `head` (False when it records none)."""
    if head is None:
        return False
    async with engine.connect() as connection:
        if (
            await connection.execute(text("SELECT to_regclass('alembic_version')"))
        ).scalar() is None:
            return False
        found = (await connection.execute(text("SELECT version_num FROM alembic_version"))).all()
    return [row[0] for row in found] == [head]


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Migrate the database down to a revision (e.g. `-1` or `base`)."""
    from alembic import command

    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), revision))


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None before the first migration."""
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


def head_revision() -> str | None:
    """The newest revision of the code."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def new_revision(engine: AsyncEngine, message: str, metadata: MetaData) -> None:
    """Write a migration for the difference between the database (migrated first) and metadata.

    Views are not compared: a change to them is written into the migration by hand.
    """
    from alembic import command

    await upgrade(engine)
    async with engine.begin() as connection:
        await connection.run_sync(
            lambda sync: command.revision(
                alembic_config(sync, metadata), message=message, autogenerate=True
            )
        )
