"""Reads of the model versions every package shares: which version is active."""

from __future__ import annotations

from typing import Any, Protocol

ACTIVE_VERSION_ID = "SELECT id FROM model_versions WHERE state = 'active'"


class Fetches(Protocol):
    """A connection, a pooled connection or a pool: anything asyncpg fetches a value with."""

    async def fetchval(
        self, query: str, *args: object, column: int = ..., timeout: float | None = ...
    ) -> Any:
        """The first column of the first row a query gives."""


async def active_version_id(db: Fetches) -> int | None:
    """The id of the active model version; None when no version is active."""
    found = await db.fetchval(ACTIVE_VERSION_ID)
    return None if found is None else int(found)


def model_is_stored(state: str, errors: int) -> bool:
    """Whether a version's model is in the model tables: active, superseded, or held back whole."""
    return state in ("active", "superseded") or (state == "rejected" and errors == 0)
