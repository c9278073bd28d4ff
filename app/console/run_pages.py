"""Runs (/ui/runs, live through htmx), one run with its log tail, and the security sync's page:
the plan now and the audit of applied syncs."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.api.deps import pooled
from app.console.access import console_caller
from app.console.web import page, render
from app.db.run_table import RunKind, RunState
from app.errors import InvalidParameterError
from app.jobs.runs import Run, RunFilter, get_run, list_runs
from app.resources import Resources
from app.security.audit import audit_page
from app.security.service import plan_document, plan_sync, warehouse_sync

router = APIRouter()
log = logging.getLogger("ecoplane.console")
SHOWN = 50


def _filter(kind: str, target: str, state: str) -> RunFilter:
    if kind and kind not in {k.value for k in RunKind}:
        kinds = ", ".join(k.value for k in RunKind)
        raise InvalidParameterError("kind", f"kind {kind[:40]!r} is not one of {kinds}")
    if state and state not in {s.value for s in RunState}:
        states = ", ".join(s.value for s in RunState)
        raise InvalidParameterError("state", f"state {state[:40]!r} is not one of {states}")
    return RunFilter(kind or None, target[:200] or None, RunState(state) if state else None)


async def _runs(request: Request, where: RunFilter) -> list[Run]:
    await console_caller(request, "read")
    res: Resources = request.app.state.resources
    async with pooled(res) as db:
        return (await list_runs(db, where, None, SHOWN))[:SHOWN]


@router.get("/runs", name="console_runs")
@page
async def runs(request: Request, kind: str = "", target: str = "", state: str = "") -> Response:
    """The newest runs, filtered by kind, target and state; the table refreshes itself."""
    found = await _runs(request, _filter(kind, target, state))
    return render(
        request, "runs.html", runs=found, kind=kind, target=target, state=state,
        kinds=[k.value for k in RunKind], states=[s.value for s in RunState],
    )  # fmt: skip


@router.get("/runs/rows", name="console_run_rows")
@page
async def run_rows(request: Request, kind: str = "", target: str = "", state: str = "") -> Response:
    """The runs table's body alone: what htmx polls."""
    found = await _runs(request, _filter(kind, target, state))
    return render(request, "run_rows.html", runs=found, kind=kind, target=target, state=state)


@router.get("/runs/{run_id}", name="console_run")
@page
async def run(request: Request, run_id: int) -> Response:
    """One run: state, times, attempts, exit status, reference and log tail."""
    await console_caller(request, "read")
    res: Resources = request.app.state.resources
    async with pooled(res) as db:
        found = await get_run(db, run_id)
    return render(request, "run.html", run=found)


@router.get("/security", name="console_security")
@page
async def security(request: Request) -> Response:
    """The audit of applied syncs (the plan is fetched by the page: it asks the warehouse)."""
    await console_caller(request, "read")
    res: Resources = request.app.state.resources
    async with pooled(res) as db:
        audit = await audit_page(db, 100, None)
        syncs = await list_runs(db, RunFilter(kind=RunKind.SECURITY_SYNC), None, 10)
    return render(request, "security.html", audit=audit, syncs=syncs[:10])


@router.get("/security/plan", name="console_security_plan")
@page
async def security_plan(request: Request) -> Response:
    """What a sync would change now (a dry run against the warehouse), as a fragment."""
    await console_caller(request, "read")
    res: Resources = request.app.state.resources
    try:
        async with pooled(res) as db, warehouse_sync(res.settings) as sync:
            plan = plan_document(await plan_sync(db, sync))
    except Exception as error:  # the warehouse is down or refuses: the page says so, and the log
        detail = getattr(error, "detail", None) or str(error) or type(error).__name__
        log.warning("console: the security plan could not be made: %s", detail)
        return render(request, "security_plan.html", plan=None, failure=detail)
    return render(request, "security_plan.html", plan=plan, failure=None)
