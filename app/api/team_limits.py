"""Tokens limited to teams: they start (and cancel) runs and ingestions only of their teams'
transformers and datastores, owned as the active model says; what belongs to no team (the
security sync, an ingest of the model) is refused them. Reads are not limited."""

from __future__ import annotations

import logging

from app.api.auth import Caller
from app.api.deps import pooled
from app.catalog.owning_teams import Target, owning_team
from app.db.run_table import RunKind
from app.errors import ForbiddenError
from app.jobs.runs import get_run
from app.resources import Resources

log = logging.getLogger("ecoplane.auth")


def _teams(who: Caller) -> str:
    return ", ".join(sorted(who.teams))


def _refuse(who: Caller, detail: str) -> ForbiddenError:
    log.warning("refused %s: %s", who.name, detail, extra={"token": who.name})
    return ForbiddenError(detail)


async def allow_team(who: Caller, res: Resources, target: Target, name: str) -> None:
    """Let a caller limited to teams act only on its teams' transformer or datastore (403).

    A name the active model does not have passes: the start answers it (404, 503)."""
    if not who.teams:
        return
    async with pooled(res) as connection:
        team = await owning_team(connection, target, name)
    if team is not None and team not in who.teams:
        raise _refuse(
            who, f"token {who.name!r} may start only what teams {_teams(who)} own:"
            f" {target} {name!r} belongs to team {team}",
        )  # fmt: skip


def allow_teamless(who: Caller, what: str) -> None:
    """Refuse a caller limited to teams what belongs to no team (`what` names it)."""
    if who.teams:
        raise _refuse(
            who, f"token {who.name!r} is limited to teams {_teams(who)}: {what} belongs to no team"
        )


async def allow_run(who: Caller, res: Resources, run_id: int) -> None:
    """Let a caller limited to teams act on a run of its teams' transformers or datastores."""
    if not who.teams:
        return
    async with pooled(res) as connection:
        run = await get_run(connection, run_id)  # 404 when there is none
    if run.kind == RunKind.SECURITY_SYNC:
        allow_teamless(who, f"run {run.id} (the security sync)")
    elif run.kind == RunKind.INGESTION:
        await allow_team(who, res, "datastore", run.target)
    else:
        await allow_team(who, res, "transformer", run.target)
