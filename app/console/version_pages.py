"""Model versions (/ui/versions), one version, a diff between any two, pull-request checks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.catalog.diffs import version_diff
from app.catalog.versions import get_version, list_versions, version_problems
from app.console.reads import active_reading
from app.console.web import page, render
from app.errors import InvalidParameterError
from app.forges.checks import list_checks

router = APIRouter()
SHOWN = 50


def _number(parameter: str, text: str | None) -> int | None:
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) < 19):
        raise InvalidParameterError(parameter, f"{parameter} {text[:40]!r} is not a version id")
    return int(text)


@router.get("/versions", name="console_versions")
@page
async def versions(request: Request, before: str | None = None) -> Response:
    """Versions newest first (a page of 50), with the latest pull-request checks."""
    read = await active_reading(request)
    async with read.connection() as db:
        rows = await list_versions(db, SHOWN + 1, _number("before", before))
        checks = await list_checks(db, 10, None, None)
    more = rows[SHOWN - 1]["id"] if len(rows) > SHOWN else None
    return render(
        request, "versions.html", versions=rows[:SHOWN], more=more, checks=checks,
        active=read.version.id,
    )  # fmt: skip


@router.get("/versions/{version_id}", name="console_version")
@page
async def version(request: Request, version_id: str) -> Response:
    """One version: commits, activations, breaking changes and its problems."""
    read = await active_reading(request)
    number = _number("version", version_id)
    assert number is not None
    async with read.connection() as db:
        found = await get_version(db, number)
        problems = await version_problems(db, number, 200, None)
    return render(request, "version.html", version=found, problems=problems, active=read.version.id)


def breaking_first(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Breaking changes first, then the others, each in the diff's order."""
    return sorted(changes, key=lambda change: change["severity"] != "breaking")


@router.get("/diff", name="console_diff")
@page
async def diff(request: Request, old: str = "", new: str = "") -> Response:
    """What changed from `old` to `new` (ids or commit shas), breaking changes first."""
    read = await active_reading(request)
    if not old or not new:
        raise InvalidParameterError("old", "name both versions: /ui/diff?old=<id or sha>&new=<id>")
    async with read.connection() as db:
        found = await version_diff(db, old[:80], new[:80])
    return render(request, "diff.html", diff=found, changes=breaking_first(found["changes"]))
