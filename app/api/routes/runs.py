"""Runs of jobs: list, read, start a transformer now, cancel."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Response

from app.api.auth import Caller, require
from app.api.deps import Connection, Res
from app.api.paging import Cursor, Limit, number_after, page
from app.api.schemas.runs import RunOut, RunPage
from app.api.team_limits import allow_run, allow_team, allow_teamless
from app.db.run_table import RunState
from app.jobs.runs import RunFilter, get_run, list_runs

router = APIRouter(tags=["runs"])
RunId = Annotated[int, Path(ge=1, le=2**62, description="a run id")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="repeat a request safely: the same key answers with the same run",
    ),
]
if TYPE_CHECKING:
    State = RunState
else:  # the states inline, as the document has always listed them (no RunState schema)
    State = Literal[tuple(state.value for state in RunState)]


@router.get(
    "/runs",
    summary="Runs, newest first",
    response_model=RunPage,
    dependencies=[require("read")],
)
async def runs(
    db: Connection,
    kind: Annotated[
        str | None,
        Query(max_length=100, description="only this kind (transformer, security-sync, ...)"),
    ] = None,
    target: Annotated[
        str | None,
        Query(max_length=200, description="only runs of this transformer (or datastore)"),
    ] = None,
    state: Annotated[State | None, Query(description="only runs in this state")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Any:
    """Runs of every job, newest first, filtered by kind, target and state."""
    where = RunFilter(kind, target, RunState(state) if state else None)
    rows = await list_runs(db, where, number_after(cursor), limit)
    return page([asdict(row) for row in rows], limit, "id")


@router.get(
    "/runs/{run_id}",
    summary="One run",
    response_model=RunOut,
    dependencies=[require("read")],
    responses={404: {"description": "no run has this id"}},
)
async def run(db: Connection, run_id: RunId) -> Any:
    """State, times, attempts, exit status, runner reference (the Job name) and log tail."""
    return await get_run(db, run_id)


@router.post(
    "/transformers/{name}/runs",
    summary="Start a transformer now",
    response_model=RunOut,
    status_code=202,
    responses={
        200: {"description": "a run made earlier with the same Idempotency-Key"},
        403: {
            "description": "the token lacks the operate scope, or the transformer is not its teams'"
        },
        404: {"description": "the active model has no transformer by this name"},
        409: {"description": "the transformer has an active run already"},
        503: {"description": "no model version is active"},
    },
)
async def start_transformer(
    res: Res,
    response: Response,
    who: Annotated[Caller, require("operate")],
    name: Annotated[
        str, Path(max_length=200, description="the transformer's name (case-sensitive)")
    ],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A queued run of the transformer of the active version (202); the runner starts it."""
    await allow_team(who, res, "transformer", name)
    found, created = await res.jobs.start_transformer(
        name, "manual", key=idempotency_key, requested_by=who.name
    )
    if not created:
        response.status_code = 200
    return found


@router.post(
    "/runs/{run_id}/cancel",
    summary="Cancel a run",
    response_model=RunOut,
    responses={
        403: {"description": "the token lacks the operate scope, or the run is not its teams'"},
        404: {"description": "no run has this id"},
        409: {"description": "the run has already ended"},
    },
)
async def cancel(res: Res, run_id: RunId, who: Annotated[Caller, require("operate")]) -> Any:
    """Mark the run cancelled and stop it in the runner (a Job is deleted)."""
    await allow_run(who, res, run_id)
    return await res.jobs.cancel(run_id)


@router.post(
    "/security/runs",
    summary="Start a security sync now",
    response_model=RunOut,
    status_code=202,
    responses={
        200: {"description": "a run made earlier with the same Idempotency-Key"},
        403: {"description": "the token lacks the operate scope, or is limited to teams"},
        409: {"description": "a security sync is queued or running already"},
    },
)
async def start_security_sync(
    res: Res,
    response: Response,
    who: Annotated[Caller, require("operate")],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A queued run of the security sync (plan, apply, verify); the runner starts it."""
    allow_teamless(who, "the security sync")
    found, created = await res.jobs.start_security_sync(
        "manual", key=idempotency_key, requested_by=who.name
    )
    if not created:
        response.status_code = 200
    return found
