"""Data ingestion of a datastore: start one batch now, list its batches."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from app.api.auth import Caller, require
from app.api.deps import Connection, Res
from app.api.paging import Cursor, Limit, number_after, page
from app.api.routes.runs import IdempotencyKey
from app.api.schemas.batches import BatchPage
from app.api.schemas.runs import RunOut
from app.api.team_limits import allow_team
from app.errors import NotFoundError
from app.ingestion.batches import batches_before

router = APIRouter(tags=["ingestion"])
Name = Annotated[str, Path(max_length=200, description="the datastore's name (case-sensitive)")]


@router.post(
    "/datastores/{name}/ingestions",
    summary="Ingest a datastore now (one batch)",
    response_model=RunOut,
    status_code=202,
    responses={
        200: {"description": "a run made earlier with the same Idempotency-Key"},
        403: {
            "description": "the token lacks the operate scope, or the datastore is not its teams'"
        },
        404: {"description": "the active model has no datastore by this name"},
        409: {"description": "the datastore has an active ingestion run already"},
        422: {"description": "ecoplane does not run this datastore's ingestion (cdc, kafka, ...)"},
        503: {"description": "no model version is active"},
    },
)
async def start_ingestion(
    res: Res,
    response: Response,
    who: Annotated[Caller, require("operate")],
    name: Name,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A queued run of kind `ingestion` of the active version's datastore (202)."""
    await allow_team(who, res, "datastore", name)
    found, created = await res.jobs.start_ingestion(
        name, "manual", key=idempotency_key, requested_by=who.name
    )
    if not created:
        response.status_code = 200
    return found


@router.get(
    "/datastores/{name}/batches",
    summary="A datastore's ingestion batches, newest first",
    response_model=BatchPage,
    dependencies=[require("read")],
    responses={404: {"description": "no batch and no datastore of the active model by this name"}},
)
async def batches(db: Connection, name: Name, limit: Limit = 50, cursor: Cursor = None) -> Any:
    """Each batch's number, state, counts, watermarks reached, timings and failure reason."""
    found = await batches_before(db, name, number_after(cursor), limit)
    if not found and cursor is None and not await _known(db, name):
        raise NotFoundError(f"datastore {name!r} has no batches and is not in the active model")
    return page([asdict(batch) for batch in found], limit, "number")


async def _known(db: Connection, name: str) -> bool:
    found = await db.fetchval(
        "SELECT 1 FROM model_datastores d JOIN model_versions v ON v.id = d.version_id"
        " WHERE v.state = 'active' AND d.name = $1",
        name,
    )
    return found is not None
