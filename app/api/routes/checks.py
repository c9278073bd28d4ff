"""Checks: the verdict on each head commit of a pull request, as posted to the forge."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from app.api.auth import require
from app.api.deps import Connection
from app.api.paging import Cursor, Limit, number_after, page
from app.api.schemas.checks import CheckOut, CheckPage
from app.forges.checks import get_check, list_checks

router = APIRouter(tags=["checks"])
CheckId = Annotated[int, Path(ge=1, le=2**62, description="a check id")]
PullRequest = Annotated[
    int | None, Query(ge=1, le=2**31 - 1, description="only the checks of this pull request")
]


@router.get(
    "/checks",
    summary="Checks of pull requests, newest first",
    response_model=CheckPage,
    dependencies=[require("read")],
)
async def checks(
    db: Connection, limit: Limit = 50, cursor: Cursor = None, pr: PullRequest = None
) -> Any:
    """Every check (one per pull-request event that asked for one), optionally of one pull request."""
    rows = await list_checks(db, limit + 1, number_after(cursor), pr)
    return page(rows, limit, "id")


@router.get(
    "/checks/{check_id}",
    summary="One check: the report a pull request's status links to",
    response_model=CheckOut,
    responses={404: {"description": "no such check"}},
    dependencies=[require("read")],
)
async def one_check(db: Connection, check_id: CheckId) -> Any:
    """A check: its state, and the report of problems, breaking changes and approvals."""
    return await get_check(db, check_id)
