"""The overview (/ui/): the active version, counts, failing runs, the last sync and rejection."""

from __future__ import annotations

from typing import Any

import asyncpg
from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.catalog.activations import activations_of
from app.catalog.ecosystem import ecosystem_summary
from app.console.chart import runs_chart
from app.console.reads import active_reading, last_rejected, runs_per_day
from app.console.web import page, render
from app.db.run_table import RunKind, RunState
from app.jobs.runs import RunFilter, list_runs

router = APIRouter()
_summaries: dict[int, dict[str, Any]] = {}


async def summary_of(db: asyncpg.Connection, version_id: int) -> dict[str, Any]:
    """The version's name and counts: they never change, so the last version's are kept
    (counting a large model's rows costs ~200 ms)."""
    if version_id not in _summaries:
        found = await ecosystem_summary(db, version_id)
        _summaries.clear()
        _summaries[version_id] = found
    return _summaries[version_id]


SHOWN = ("datastores", "datasets", "columns", "workspaces", "transformers", "teams", "zones")


@router.get("/", name="console_overview")
@page
async def overview(request: Request) -> Response:
    """What a data engineer looks at first."""
    read = await active_reading(request)
    async with read.connection() as db:
        summary = await summary_of(db, read.version.id)
        activations = await activations_of(db, read.version.id)
        failing = await list_runs(db, RunFilter(state=RunState.FAILED), None, 5)
        syncs = await list_runs(db, RunFilter(kind=RunKind.SECURITY_SYNC), None, 1)
        rejected = await last_rejected(db)
        counts, today = await runs_per_day(db, 14)
    return render(
        request,
        "overview.html",
        summary=summary,
        counts={name: summary["counts"].get(name, 0) for name in SHOWN},
        activation=activations[0] if activations else None,
        failing=failing[:5],
        last_sync=syncs[0] if syncs else None,
        rejected=rejected,
        chart=runs_chart(counts, today),
    )
