"""The kind of warehouse the settings choose."""

from __future__ import annotations

from app.security.warehouses.base import WarehouseKind
from app.security.warehouses.postgres import PostgresKind
from app.settings import Settings


def warehouse_kind(settings: Settings) -> WarehouseKind:
    """The warehouse of `ECOPLANE_WAREHOUSE_KIND`: Postgres, the one there is."""
    if settings.warehouse_kind == "postgres":
        return PostgresKind()
    raise ValueError(f"no warehouse of kind {settings.warehouse_kind!r}")
