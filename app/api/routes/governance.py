"""Zones and teams."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from app.api.deps import Read
from app.api.paging import Cursor, Limit, page, pair_after, text_after
from app.api.schemas.workspaces import TeamOut, TeamPage, ZoneOut, ZonePage
from app.api.version_answers import version_answer
from app.catalog.governance import get_team, get_zone, list_teams, list_zones

router = APIRouter(tags=["governance"])
ZoneName = Annotated[str, Path(max_length=200, description="the zone's name (case-sensitive)")]


@router.get("/zones", summary="Governance zones with policies", response_model=ZonePage)
@version_answer
async def zones(read: Read, limit: Limit = 50, cursor: Cursor = None) -> Any:
    """Zones by name, with owners, consumer and storage policies, and their teams' names."""
    async with read.connection() as db:
        rows = await list_zones(db, read.version.id, text_after(cursor), limit)
    return page(rows, limit, "name", version=read.version.id)


@router.get("/zones/{zone}", summary="A zone with policies and teams", response_model=ZoneOut)
@version_answer
async def zone(read: Read, zone: ZoneName) -> Any:
    """One zone: owners, the classifications its workspaces may not sink, where its data may live, its teams."""
    async with read.connection() as db:
        return await get_zone(db, read.version.id, zone)


@router.get("/teams", summary="Teams of every zone", response_model=TeamPage)
@version_answer
async def teams(
    read: Read,
    zone: Annotated[str | None, Query(max_length=200, description="only this zone")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Any:
    """Teams by zone and name, with how many datastores and workspaces each owns."""
    async with read.connection() as db:
        rows = await list_teams(db, read.version.id, zone, pair_after(cursor), limit)
    return page(rows, limit, "zone", "name", version=read.version.id)


@router.get(
    "/zones/{zone}/teams/{team}",
    summary="A team with its datastores and workspaces",
    response_model=TeamOut,
)
@version_answer
async def team(
    read: Read,
    zone: ZoneName,
    team: Annotated[str, Path(max_length=200, description="the team's name (case-sensitive)")],
) -> Any:
    """One team of a zone, with the names of the datastores and workspaces it owns."""
    async with read.connection() as db:
        return await get_team(db, read.version.id, zone, team)
