"""The audit of applied syncs in the control-plane database: written after apply, read by the API."""

from __future__ import annotations

from collections import Counter
from typing import Any

import asyncpg

from app.events.outbox import emit
from app.security.drift import repairs_drift
from app.security.operations import Plan

OPERATION_COLUMNS = ("sync_id", "ordinal", "phase", "action", "target", "reason", "statement")


async def record_sync(
    connection: asyncpg.Connection,
    plan: Plan,
    statements: list[str],
    version_id: int | None,
    *,
    forced: bool,
) -> int:
    """Store an applied plan with the statement of each operation (as shown: no password)."""
    async with connection.transaction():
        sync_id: int = await connection.fetchval(
            "INSERT INTO security_syncs (model_version_id, operations, forced)"
            " VALUES ($1, $2, $3) RETURNING id",
            version_id, len(plan.operations), forced,
        )  # fmt: skip
        rows = [
            (sync_id, ordinal, op.phase.name.lower(), op.action, op.target, op.reason, statement)
            for ordinal, (op, statement) in enumerate(
                zip(plan.operations, statements, strict=True), start=1
            )
        ]
        await connection.copy_records_to_table(
            "security_sync_operations", records=rows, columns=OPERATION_COLUMNS
        )
        await _emit_applied(connection, sync_id, plan, version_id, forced)
    return sync_id


async def _emit_applied(
    connection: asyncpg.Connection, sync_id: int, plan: Plan, version_id: int | None, forced: bool
) -> None:
    """security.sync.applied (operation counts), and security.drift.detected when the sync
    repaired what changed in the warehouse behind the model's back (`app/security/drift.py`,
    the definition the drift metric counts by): every operation it applied."""
    by_action = Counter(op.action for op in plan.operations)
    data = {"syncId": sync_id, "modelVersion": version_id, "forced": forced,
            "operations": len(plan.operations), "byAction": dict(sorted(by_action.items()))}  # fmt: skip
    await emit(connection, "security.sync.applied", f"security-sync/{sync_id}", data)
    drifted = plan.operations if await repairs_drift(connection, sync_id) else []
    if drifted:
        repaired = [
            {
                "phase": op.phase.name.lower(),
                "action": op.action,
                "target": op.target,
                "reason": op.reason,
            }
            for op in drifted
        ]
        await emit(
            connection, "security.drift.detected", f"security-sync/{sync_id}",
            {"syncId": sync_id, "modelVersion": version_id, "drifted": repaired[:50],
             "driftedCount": len(drifted)},
        )  # fmt: skip


async def audit_page(
    connection: asyncpg.Connection, limit: int, after: tuple[int, int] | None
) -> list[dict[str, Any]]:
    """Operations of applied syncs, newest sync first and in order within one, after a key."""
    sync_id, ordinal = after if after is not None else (None, None)
    rows = await connection.fetch(
        "SELECT o.sync_id, o.ordinal, s.applied_at, s.model_version_id, s.forced,"
        " o.phase, o.action, o.target, o.reason, o.statement"
        " FROM security_sync_operations o JOIN security_syncs s ON s.id = o.sync_id"
        " WHERE $1::bigint IS NULL OR o.sync_id < $1 OR (o.sync_id = $1 AND o.ordinal > $2)"
        " ORDER BY o.sync_id DESC, o.ordinal LIMIT $3",
        sync_id, ordinal, limit,
    )  # fmt: skip
    return [dict(r) for r in rows]
