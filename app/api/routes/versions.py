"""Model versions, their problems, and the ecosystem of a version."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from app.api.auth import Caller, require
from app.api.deps import Connection, Read, body_after, json_body
from app.api.paging import Cursor, Limit, number_after, page
from app.api.schemas.versions import (
    ActivationRequest,
    EcosystemOut,
    ModelVersionOut,
    ModelVersionPage,
    ProblemPage,
)
from app.catalog.ecosystem import ecosystem_summary
from app.catalog.overrides import activate_on_purpose
from app.catalog.versions import get_version, list_versions, version_problems

router = APIRouter(tags=["model versions"])
READ = [require("read")]
VersionId = Annotated[int, Path(ge=1, le=2**62, description="a model version id")]


@router.get(
    "/ecosystem",
    summary="The ecosystem, its version and entity counts",
    response_model=EcosystemOut,
)
async def ecosystem(read: Read) -> Any:
    """Name, the version answered from (id, commit, activatedAt) and the count of every entity."""
    async with read.connection() as db:
        return await ecosystem_summary(db, read.version.id)


@router.get(
    "/model-versions",
    summary="Stored model versions, newest first",
    response_model=ModelVersionPage,
    dependencies=READ,
)
async def versions(db: Connection, limit: Limit = 50, cursor: Cursor = None) -> Any:
    """Every version ecoplane has read, with its commit, state, counts and problem totals."""
    rows = await list_versions(db, limit + 1, number_after(cursor))
    return page(rows, limit, "id")


@router.get(
    "/model-versions/{version_id}",
    summary="One model version",
    response_model=ModelVersionOut,
    dependencies=READ,
)
async def version(db: Connection, version_id: VersionId) -> Any:
    """A version with its commits, why it was held back (its breaking changes), and its activations."""
    return await get_version(db, version_id)


@router.post(
    "/model-versions/{version_id}/activate",
    summary="Activate a stored version on purpose (override or rollback)",
    response_model=ModelVersionOut,
    responses={
        401: {"description": "no token, or a token that is not valid"},
        403: {"description": "the token lacks the admin scope"},
        404: {"description": "the version does not exist"},
        409: {
            "description": "the version is active already, has validation errors, or is not stored"
        },
        422: {"description": "the reason is missing, blank or too long"},
    },
    openapi_extra={"requestBody": json_body(ActivationRequest)},
)
async def activate(
    who: Annotated[Caller, require("admin")],
    body: Annotated[ActivationRequest, body_after("admin", ActivationRequest)],
    db: Connection,
    version_id: VersionId,
) -> Any:
    """Activate a version held back for breaking changes (override) or a superseded one (rollback).

    Recorded with the token's name, the time, the reason and the version it replaces; the
    security sync and the onModelChange transformers follow as after any activation.
    """
    await activate_on_purpose(db, version_id, by=who.name, reason=body.reason)
    return await get_version(db, version_id)


@router.get(
    "/model-versions/{version_id}/problems",
    summary="Validation problems of a version",
    response_model=ProblemPage,
    dependencies=READ,
)
async def problems(
    db: Connection, version_id: VersionId, limit: Limit = 50, cursor: Cursor = None
) -> Any:
    """The problems of the version, in file, line and column order."""
    rows = await version_problems(db, version_id, limit + 1, number_after(cursor))
    return page(rows, limit, "ordinal")
