"""Liveness and readiness (outside /api/v1)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.api.auth import metrics_reader
from app.api.deps import resources
from app.api.observability import Metrics
from app.db.model_versions import active_version_id
from app.db.outage import RETRY_AFTER_SECONDS, connection_lost, describe
from app.resources import Resources

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    """Answers as long as the process runs."""
    return {"status": "ok"}


@router.get(
    "/readyz", summary="The database is reachable and a model is active", response_model=None
)
async def readyz(res: Annotated[Resources, Depends(resources)]) -> Any:
    """Ready when the database answers and a model version is active; 503 otherwise, saying
    why: the database's error and since when it has not answered, or that no model is active."""
    try:
        async with res.pool.acquire() as connection:
            active = await active_version_id(connection)
    except Exception as error:
        if not connection_lost(error):
            raise
        await res.connections_lost()
        res.outage.failed(error, "/readyz")
        assert res.outage.since is not None
        body = {
            "status": "unavailable",
            "reason": f"database: {describe(error)}",
            "since": res.outage.since.isoformat(timespec="seconds"),
        }
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return JSONResponse(body, status_code=503, headers=headers)
    res.outage.recovered()
    if active is None:
        return JSONResponse(
            {"status": "unavailable", "reason": "no model version is active"}, status_code=503
        )
    return {"status": "ready", "activeVersion": active}


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=PlainTextResponse,
    dependencies=[Depends(metrics_reader)],
    responses={401: {"description": "no token, or not a valid one, and metrics are not open"}},
)
async def metrics(
    request: Request, res: Annotated[Resources, Depends(resources)]
) -> PlainTextResponse:
    """Requests by route template, the active version, versions stored, and the work: runs,
    ingests, security-sync operations and drift, whether this replica leads."""
    collected: Metrics = request.app.state.metrics
    await collected.work.refresh(res.pool, res.election.leading.is_set())
    async with res.pool.acquire() as connection:
        rows = await connection.fetch(
            "SELECT state, count(*) AS n, max(id) AS newest FROM model_versions GROUP BY state"
        )
        await request.app.state.outbox_metrics.measure(connection)  # depth, dead letters
    by_state = {row["state"]: row for row in rows}
    active = by_state.get("active")
    collected.active_version.set(active["newest"] if active else 0)
    for state in ("loading", "active", "superseded", "rejected", "failed"):
        collected.versions.labels(state).set(by_state[state]["n"] if state in by_state else 0)
    return PlainTextResponse(
        generate_latest(collected.registry).decode(), media_type=CONTENT_TYPE_LATEST
    )
