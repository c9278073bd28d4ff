"""The security sync: a dry-run plan against the warehouse now, and the audit of applied syncs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.api.auth import require
from app.api.deps import Connection, Res
from app.api.paging import Cursor, Limit, decode_cursor, encode_cursor
from app.api.schemas.security import AuditPage, SecurityPlanOut
from app.errors import InvalidParameterError
from app.security.audit import audit_page
from app.security.service import plan_document, plan_sync, warehouse_sync

router = APIRouter(tags=["security"])
READ = [require("read")]


@router.get(
    "/security/plan",
    summary="What a security sync would change now (dry run)",
    response_model=SecurityPlanOut,
    dependencies=READ,
)
async def security_plan(db: Connection, res: Res) -> Any:
    """The ordered operations, with reasons, that would bring the warehouse in line with the
    active model; pending views and problems too. Nothing is changed; no password is shown."""
    async with warehouse_sync(res.settings) as sync:
        return plan_document(await plan_sync(db, sync))


@router.get(
    "/security/audit",
    summary="What applied security syncs changed",
    response_model=AuditPage,
    dependencies=READ,
)
async def security_audit(db: Connection, limit: Limit = 50, cursor: Cursor = None) -> Any:
    """Operations of applied syncs, newest sync first; statements without passwords."""
    rows = await audit_page(db, limit + 1, _after(cursor))
    more = len(rows) > limit
    items = rows[:limit]
    last = items[-1] if more and items else None
    return {
        "items": items,
        "nextCursor": encode_cursor([last["sync_id"], last["ordinal"]]) if last else None,
    }


def _after(cursor: str | None) -> tuple[int, int] | None:
    key = decode_cursor(cursor)
    if key is None:
        return None
    valid = isinstance(key, list) and len(key) == 2
    if not valid or not all(isinstance(k, int) and not isinstance(k, bool) for k in key):
        raise InvalidParameterError("cursor", "cursor does not belong to this list")
    if not all(0 <= k < 2**62 for k in key):
        raise InvalidParameterError("cursor", "cursor does not belong to this list")
    return key[0], key[1]
