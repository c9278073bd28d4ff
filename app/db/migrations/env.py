"""Alembic environment: runs on a connection handed over by `app.db.migrate`."""

from __future__ import annotations

from alembic import context

from app.db.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `ecoplane db upgrade` (app.db.migrate)")
context.configure(connection=connection, target_metadata=metadata, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
