"""Reading the ecosystem of a version: its name, the version and the count of every entity."""

from __future__ import annotations

from typing import Any

import asyncpg

from app.catalog.schema import ENTITY_PREFIX
from app.ecosystem.model_tables import MODEL_TABLES

COUNTED = [name for name in MODEL_TABLES if name not in ("ecosystems", "problems")]


async def ecosystem_summary(connection: asyncpg.Connection, version_id: int) -> dict[str, Any]:
    """Name, description, vocabulary, the version and the count of every entity."""
    row = await connection.fetchrow(
        "SELECT e.name, e.description, e.classifications, v.id, v.commit_sha, v.state, v.activated_at"
        f" FROM model_versions v LEFT JOIN {ENTITY_PREFIX}ecosystems e ON e.version_id = v.id WHERE v.id = $1",
        version_id,
    )
    assert row is not None  # the version was resolved by the caller
    counts = await connection.fetchrow(
        "SELECT "
        + ", ".join(
            f"(SELECT count(*) FROM {ENTITY_PREFIX}{t} WHERE version_id = $1) AS {t}"
            for t in COUNTED
        ),
        version_id,
    )
    return {
        "name": row["name"],
        "description": row["description"],
        "classifications": row["classifications"] or [],
        "version": {
            "id": row["id"],
            "commit": row["commit_sha"],
            "state": row["state"],
            "activatedAt": row["activated_at"],
        },
        "counts": dict(counts) if counts else {},
    }
