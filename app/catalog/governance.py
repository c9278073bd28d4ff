"""Reading zones and teams of a version: policies, owners, and what each team owns."""

from __future__ import annotations

from typing import Any

import asyncpg

from app.errors import NotFoundError

ZONE_FIELDS = (
    "z.name, z.description, z.owners, z.deny_classifications, z.storage_vendors,"
    " z.storage_locations, z.builtin"
)
TEAM_FIELDS = "t.zone, t.name, t.description, t.owners, t.builtin"


def _zone(row: asyncpg.Record) -> dict[str, Any]:
    """A zone row shaped like the model: owners, and policies for consumers and storage."""
    return {
        "name": row["name"],
        "description": row["description"],
        "owners": row["owners"] or [],
        "builtin": row["builtin"],
        "policies": {
            "consumers": {"deny_classifications": row["deny_classifications"] or []},
            "storage": {
                "vendors": row["storage_vendors"] or [],
                "locations": row["storage_locations"] or [],
            },
        },
    }


def _team(row: asyncpg.Record) -> dict[str, Any]:
    """A team row with empty owners as a list."""
    return {**dict(row), "owners": row["owners"] or []}


async def list_zones(
    connection: asyncpg.Connection, version_id: int, after: str | None, limit: int
) -> list[dict[str, Any]]:
    """Zones by name after a name, each with its teams' names (limit+1 rows)."""
    rows = await connection.fetch(
        f"SELECT {ZONE_FIELDS}, ARRAY(SELECT t.name FROM model_teams t"
        "   WHERE t.version_id = $1 AND t.zone = z.name ORDER BY t.name) AS teams"
        " FROM model_zones z WHERE z.version_id = $1 AND ($2::text IS NULL OR z.name > $2)"
        " ORDER BY z.name LIMIT $3",
        version_id, after, limit + 1,
    )  # fmt: skip
    return [{**_zone(row), "teams": list(row["teams"])} for row in rows]


async def get_zone(connection: asyncpg.Connection, version_id: int, name: str) -> dict[str, Any]:
    """One zone with its policies and its teams."""
    row = await connection.fetchrow(
        f"SELECT {ZONE_FIELDS} FROM model_zones z WHERE z.version_id = $1 AND z.name = $2",
        version_id,
        name,
    )
    if row is None:
        raise NotFoundError(f"zone {name!r} does not exist in model version {version_id}")
    teams = await connection.fetch(
        f"SELECT {TEAM_FIELDS} FROM model_teams t WHERE t.version_id = $1 AND t.zone = $2"
        " ORDER BY t.name",
        version_id,
        name,
    )
    return {**_zone(row), "teams": [_team(team) for team in teams]}


async def list_teams(
    connection: asyncpg.Connection,
    version_id: int,
    zone: str | None,
    after: tuple[str, str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Teams by (zone, name) after a (zone, name), with how many datastores and workspaces each owns."""
    after_zone, after_name = after or (None, None)
    rows = await connection.fetch(
        f"SELECT {TEAM_FIELDS},"
        " (SELECT count(*) FROM model_datastores d WHERE d.version_id = $1"
        "   AND d.zone = t.zone AND d.team = t.name) AS datastores,"
        " (SELECT count(*) FROM model_workspaces w WHERE w.version_id = $1"
        "   AND w.zone = t.zone AND w.team = t.name) AS workspaces"
        " FROM model_teams t WHERE t.version_id = $1 AND ($2::text IS NULL OR t.zone = $2)"
        " AND ($3::text IS NULL OR (t.zone, t.name) > ($3::text, $4::text))"
        " ORDER BY t.zone, t.name LIMIT $5",
        version_id, zone, after_zone, after_name, limit + 1,
    )  # fmt: skip
    return [_team(row) for row in rows]


async def get_team(
    connection: asyncpg.Connection, version_id: int, zone: str, name: str
) -> dict[str, Any]:
    """One team of a zone with the names of the datastores and workspaces it owns."""
    row = await connection.fetchrow(
        f"SELECT {TEAM_FIELDS},"
        " ARRAY(SELECT d.name FROM model_datastores d WHERE d.version_id = $1"
        "   AND d.zone = t.zone AND d.team = t.name ORDER BY d.name) AS datastores,"
        " ARRAY(SELECT w.name FROM model_workspaces w WHERE w.version_id = $1"
        "   AND w.zone = t.zone AND w.team = t.name ORDER BY w.name) AS workspaces"
        " FROM model_teams t WHERE t.version_id = $1 AND t.zone = $2 AND t.name = $3",
        version_id, zone, name,
    )  # fmt: skip
    if row is None:
        if not await connection.fetchval(
            "SELECT 1 FROM model_zones WHERE version_id = $1 AND name = $2", version_id, zone
        ):
            raise NotFoundError(f"zone {zone!r} does not exist in model version {version_id}")
        raise NotFoundError(f"zone {zone!r} has no team {name!r} in model version {version_id}")
    return _team(row)
