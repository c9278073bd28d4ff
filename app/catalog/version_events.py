"""The events of model versions, emitted in the transaction that activates or rejects one."""

from __future__ import annotations

from typing import Any

import asyncpg

from app.events.outbox import emit

MAX_LISTED = 20  # problems or breaking changes an event lists (their total is given too)


async def _origin(connection: asyncpg.Connection, version_id: int) -> dict[str, Any]:
    row = await connection.fetchrow(
        "SELECT source, errors, warnings, commit_sha AS commit FROM model_versions WHERE id = $1",
        version_id,
    )
    if row is None:
        return {"version": version_id}
    return {"version": version_id, "commit": row["commit"], "source": row["source"],
            "errors": row["errors"], "warnings": row["warnings"]}  # fmt: skip


async def activated(
    connection: asyncpg.Connection, version_id: int, before: int | None, kind: str, by: str,
    reason: str,
) -> None:  # fmt: skip
    """model.version.activated, and model.version.overridden for an override."""
    data = {**await _origin(connection, version_id), "previousVersion": before,
            "activation": kind, "by": by, "reason": reason}  # fmt: skip
    await emit(connection, "model.version.activated", f"model-version/{version_id}", data)
    if kind == "override":
        await emit(connection, "model.version.overridden", f"model-version/{version_id}", data)


async def rejected(
    connection: asyncpg.Connection, version_id: int, reason: str,
    breaking: list[dict[str, Any]] | None = None,
) -> None:  # fmt: skip
    """model.version.rejected: its errors (problems) or its breaking changes and whom they affect."""
    rows = await connection.fetch(
        "SELECT severity, code, message, file, line, path FROM model_problems"
        " WHERE version_id = $1 AND severity = 'error' ORDER BY ordinal LIMIT $2",
        version_id, MAX_LISTED,
    )  # fmt: skip
    breaking = breaking or []
    affected = sorted({w for change in breaking for w in change.get("affectedWorkspaces", [])})
    data = {
        **await _origin(connection, version_id), "reason": reason,
        "problems": [dict(row) for row in rows], "breakingChanges": breaking[:MAX_LISTED],
        "breakingChangeCount": len(breaking), "affectedWorkspaces": affected,
    }  # fmt: skip
    await emit(connection, "model.version.rejected", f"model-version/{version_id}", data)
