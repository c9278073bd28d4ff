"""Workspaces and transformers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from app.api.deps import Read
from app.api.json import PostgresJson
from app.api.paging import Cursor, Limit, page, text_after
from app.api.schemas.runs import RunOut
from app.api.schemas.workspaces import (
    TransformerOut,
    TransformerPage,
    WorkspaceOut,
    WorkspacePage,
)
from app.api.version_answers import version_answer
from app.catalog.workspaces import (
    TransformerFilter,
    WorkspaceFilter,
    get_workspace,
    list_transformers,
    list_workspaces,
    transformer_detail,
)
from app.errors import NotFoundError
from app.jobs.runs import RUN_FIELDS, Run, last_run_of

router = APIRouter(tags=["workspaces"])
ZoneQuery = Annotated[str | None, Query(max_length=200, description="only this zone")]
TeamQuery = Annotated[str | None, Query(max_length=200, description="only this team")]


@router.get("/workspaces", summary="Workspaces, filtered", response_model=WorkspacePage)
@version_answer
async def workspaces(
    read: Read,
    zone: ZoneQuery = None,
    team: TeamQuery = None,
    production_status: Annotated[
        Literal["production", "not-production"] | None,
        Query(alias="productionStatus", description="only workspaces of this production status"),
    ] = None,
    priority: Annotated[
        Literal["critical", "high", "medium", "low", "unknown"] | None,
        Query(description="only workspaces of this priority"),
    ] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="substring of the name or description")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Any:
    """Workspaces of the version by name, with counts of their dataset groups and sinks."""
    where = WorkspaceFilter(zone, team, production_status, priority, q)
    async with read.connection() as db:
        rows = await list_workspaces(db, read.version.id, where, text_after(cursor), limit)
    return page(rows, limit, "name", version=read.version.id)


@router.get(
    "/workspaces/{name}",
    summary="A workspace with dataset groups and sinks",
    response_model=WorkspaceOut,
)
@version_answer
async def workspace(
    read: Read,
    name: Annotated[str, Path(max_length=200, description="the workspace's name (case-sensitive)")],
) -> Any:
    """Dataset groups with their platform assignment or requirements and their sinks; the transformer."""
    async with read.connection() as db:
        return PostgresJson(await get_workspace(db, read.version.id, name))


@router.get("/transformers", summary="Transformers, filtered", response_model=TransformerPage)
@version_answer
async def transformers(
    read: Read,
    zone: Annotated[
        str | None, Query(max_length=200, description="only this workspace zone")
    ] = None,
    team: Annotated[
        str | None, Query(max_length=200, description="only this workspace team")
    ] = None,
    trigger_kind: Annotated[
        Literal["cron", "on-input-change", "on-model-change", "external"] | None,
        Query(alias="triggerKind", description="only transformers with this kind of trigger"),
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Any:
    """Transformers of the version by name; zone and team are those of the workspace each reads."""
    where = TransformerFilter(zone, team, trigger_kind)
    async with read.connection() as db:
        rows = await list_transformers(db, read.version.id, where, text_after(cursor), limit)
    return page(rows, limit, "name", version=read.version.id)


@router.get(
    "/transformers/{name}",
    summary="A transformer with code, trigger and output",
    response_model=TransformerOut,
)
async def transformer(
    read: Read,
    name: Annotated[
        str, Path(max_length=200, description="the transformer's name (case-sensitive)")
    ],
) -> Any:
    """Code, trigger, resources, timeout, retries, workspace, output and its latest run."""
    async with read.connection() as db:
        row = await db.fetchrow(TRANSFORMER_ANSWER, read.version.id, name)
    if row is None:
        raise NotFoundError(
            f"transformer {name!r} does not exist in model version {read.version.id}"
        )
    return PostgresJson(_with_last_run(row["found"], row))


# a transformer's JSON made by Postgres, beside the columns of its latest run: one query
TRANSFORMER_ANSWER = transformer_detail(RUN_FIELDS, last_run_of("t.name"))


def _with_last_run(found: str, row: Any) -> str:
    """The transformer's JSON with `lastRun`: the run as every run's answer renders it, or null."""
    run = None
    if row["id"] is not None:
        columns = {key: value for key, value in row.items() if key != "found"}
        run = RunOut.model_validate(Run.from_row(columns)).model_dump_json(by_alias=True)
    return f'{found[:-1]}, "lastRun" : {run or "null"}}}'
