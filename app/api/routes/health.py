"""Liveness and readiness (outside /api/v1)."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from app.api.deps import Resources, resources

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    """Answers as long as the process runs."""
    return {"status": "ok"}


@router.get(
    "/readyz", summary="The database is reachable and a model is active", response_model=None
)
async def readyz(res: Annotated[Resources, Depends(resources)]) -> Any:
    """Ready when the database answers and a model version is active; 503 otherwise."""
    try:
        async with res.pool.acquire() as connection:
            active = await connection.fetchval(
                "SELECT id FROM model_versions WHERE state = 'active'"
            )
    except (OSError, asyncpg.PostgresError) as error:  # the database cannot answer
        return JSONResponse(
            {"status": "unavailable", "reason": f"database: {type(error).__name__}"},
            status_code=503,
        )
    if active is None:
        return JSONResponse(
            {"status": "unavailable", "reason": "no model version is active"}, status_code=503
        )
    return {"status": "ready", "activeVersion": active}
