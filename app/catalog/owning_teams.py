"""Which team owns a transformer or a datastore of the active version, and which teams exist.

A datastore names its zone and team; a transformer belongs to the team of the workspace it
reads (the owning-team rule of app/ecosystem/ownership.py). Teams are written `ZONE/TEAM`.
"""

from __future__ import annotations

from typing import Literal

import asyncpg

from app.errors import InvalidParameterError

Target = Literal["transformer", "datastore"]

_OWNER = {
    "transformer": "SELECT w.zone || '/' || w.team FROM current_transformers t"
    " JOIN current_workspaces w ON w.name = t.workspace WHERE t.name = $1",
    "datastore": "SELECT zone || '/' || team FROM current_datastores WHERE name = $1",
}


async def owning_team(connection: asyncpg.Connection, target: Target, name: str) -> str | None:
    """`ZONE/TEAM` owning the active version's transformer or datastore; None if it has none."""
    found: str | None = await connection.fetchval(_OWNER[target], name)
    return found


async def unknown_teams(connection: asyncpg.Connection, teams: list[str]) -> list[str]:
    """Those of `teams` (`ZONE/TEAM`) that the active version does not have, in order."""
    known = await connection.fetch(
        "SELECT t FROM unnest($1::text[]) AS t"
        " WHERE t IN (SELECT zone || '/' || name FROM current_teams)",
        teams,
    )
    present = {row["t"] for row in known}
    return [team for team in teams if team not in present]


async def checked_teams(connection: asyncpg.Connection, teams: list[str]) -> list[str]:
    """The teams, or a 422 naming those the active version does not have."""
    missing = await unknown_teams(connection, teams) if teams else []
    if missing:
        raise InvalidParameterError(
            "teams", f"the active model version has no team {', '.join(missing[:5])}"
            " (teams are written ZONE/TEAM, as in the model)",
        )  # fmt: skip
    return teams
