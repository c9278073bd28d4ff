"""Model versions, their problems, and the ecosystem of a version."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from app.api.auth import require
from app.api.deps import Connection, Read
from app.api.paging import Cursor, Limit, number_after, page
from app.api.schemas.versions import EcosystemOut, ModelVersionOut, ModelVersionPage, ProblemPage
from app.catalog.ecosystem import ecosystem_summary
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
    """A version with the commits recorded against it."""
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
