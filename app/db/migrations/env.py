"""Alembic environment: runs on a connection handed over by `app.db.migrate`."""

from __future__ import annotations

from alembic import context

from app.db.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `ecoplane db upgrade` (app.db.migrate)")
# autogenerate and drift checks pass the full metadata (model tables included); upgrades need none
target = context.config.attributes.get("metadata") or metadata
context.configure(connection=connection, target_metadata=target, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
