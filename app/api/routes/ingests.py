"""Ingests: reading a commit of the model repository, on request, and what each ingest did."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from app.api.auth import Caller, require
from app.api.deps import Connection, Res, body_after, json_body
from app.api.paging import Cursor, Limit, number_after, page
from app.api.schemas.ingest import IngestOut, IngestPage, IngestRequest
from app.api.team_limits import allow_teamless
from app.db.ingest_table import IngestState
from app.gitsource.git import check_ref
from app.gitsource.pipeline import NotConfiguredError
from app.gitsource.queue import get_ingest, list_ingests, queue_ingest

router = APIRouter(tags=["ingests"])
IngestId = Annotated[int, Path(ge=1, le=2**62, description="an ingest id")]
StateFilter = Annotated[IngestState | None, Query(description="only ingests in this state")]


@router.post(
    "/model-versions",
    summary="Ingest a commit of the model repository",
    status_code=202,
    response_model=IngestOut,
    responses={
        401: {"description": "no token, or a token that is not valid"},
        403: {"description": "the token lacks the operate scope, or is limited to teams"},
        409: {"description": "no model repository is configured"},
        422: {"description": "the ref is not a branch, tag or commit name"},
    },
    openapi_extra={"requestBody": json_body(IngestRequest)},
)
async def ingest(
    who: Annotated[Caller, require("operate")],
    body: Annotated[IngestRequest, body_after("operate", IngestRequest)],
    db: Connection,
    res: Res,
) -> Any:
    """Queue an ingest of the commit a branch, tag or sha names; 202 with the ingest to follow."""
    allow_teamless(who, "an ingest of the model")
    ref = check_ref(body.ref)
    if not res.settings.model_repo:
        raise NotConfiguredError("no model repository is configured (ECOPLANE_MODEL_REPO)")
    created, _ = await queue_ingest(db, trigger="manual", ref=ref, requested_by=who.name)
    if res.ingestion is not None:
        res.ingestion.worker.wake()
    return created


@router.get(
    "/ingests",
    summary="Ingests, newest first",
    response_model=IngestPage,
    dependencies=[require("read")],
)
async def ingests(
    db: Connection, limit: Limit = 50, cursor: Cursor = None, state: StateFilter = None
) -> Any:
    """Every ingest request (webhook, poll or manual) with its commit, state, timings and outcome."""
    rows = await list_ingests(db, limit + 1, number_after(cursor), state)
    return page([asdict(row) for row in rows], limit, "id")


@router.get(
    "/ingests/{ingest_id}",
    summary="One ingest",
    response_model=IngestOut,
    dependencies=[require("read")],
)
async def one_ingest(db: Connection, ingest_id: IngestId) -> Any:
    """An ingest: its state, the version it was stored as, its problems count, timings and detail."""
    return await get_ingest(db, ingest_id)
