"""Datastores and their datasets."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from app.api.deps import Read
from app.api.json import PostgresJson
from app.api.paging import Cursor, Limit, json_page_body, text_after
from app.api.schemas.datastores import DatasetOut, DatastoreOut, DatastorePage
from app.api.version_answers import version_answer
from app.catalog.datastores import DatastoreFilter, dataset_json, datastore_json, list_datastores

router = APIRouter(tags=["datastores"])
Name = Annotated[str, Path(max_length=200, description="the datastore's name (case-sensitive)")]


@router.get("/datastores", summary="Datastores, filtered", response_model=DatastorePage)
@version_answer
async def datastores(
    read: Read,
    zone: Annotated[str | None, Query(max_length=200, description="only this zone")] = None,
    team: Annotated[str | None, Query(max_length=200, description="only this team")] = None,
    production_status: Annotated[
        Literal["production", "not-production"] | None,
        Query(alias="productionStatus", description="only datastores of this production status"),
    ] = None,
    deprecated: Annotated[
        bool | None, Query(description="only (non-)deprecated datastores")
    ] = None,
    classification: Annotated[
        str | None,
        Query(max_length=200, description="with a dataset or column of this classification"),
    ] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="substring of the name or description")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Any:
    """Datastores of the version by name, ingested and transformer outputs alike."""
    where = DatastoreFilter(zone, team, production_status, deprecated, classification, q)
    async with read.connection() as db:
        found = await list_datastores(db, read.version.id, where, text_after(cursor), limit)
    return PostgresJson(json_page_body(found, read.version.id))


@router.get(
    "/datastores/{name}",
    summary="A datastore with datasets and columns",
    response_model=DatastoreOut,
)
@version_answer
async def datastore(read: Read, name: Name) -> Any:
    """Datasets with columns, ingestion, trigger, status, and who produces it."""
    async with read.connection() as db:
        return PostgresJson(await datastore_json(db, read.version.id, name))


@router.get(
    "/datastores/{name}/datasets/{dataset}",
    summary="One dataset with its columns",
    response_model=DatasetOut,
)
@version_answer
async def dataset(
    read: Read,
    name: Name,
    dataset: Annotated[str, Path(max_length=200, description="the dataset's name")],
) -> Any:
    """One dataset with its columns and classifications."""
    async with read.connection() as db:
        return PostgresJson(await dataset_json(db, read.version.id, name, dataset))
