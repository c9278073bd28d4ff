"""A page per datastore, dataset, workspace, transformer, team and zone of the active version."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.catalog.datastores import get_dataset, get_datastore
from app.catalog.governance import get_team, get_zone
from app.catalog.lineage import consumers
from app.catalog.workspaces import get_transformer, get_workspace
from app.console.reads import active_reading
from app.console.web import page, render
from app.db.run_table import RunKind
from app.ecosystem.names import history_view, raw_table, read_role, workspace_schema
from app.ingestion.batches import batches_before
from app.jobs.runs import RunFilter, list_runs

router = APIRouter()
RUNS_SHOWN = 10


@router.get("/datastores/{name}", name="console_datastore")
@page
async def datastore(request: Request, name: str) -> Response:
    """Datasets with columns, consumers by degree, ingestion with its last batches and runs."""
    read = await active_reading(request)
    async with read.connection() as db:
        store = await get_datastore(db, read.version.id, name)
        batches = await batches_before(db, name, None, RUNS_SHOWN)
        runs = await list_runs(db, RunFilter(RunKind.INGESTION, name), None, RUNS_SHOWN)
    readers = await consumers(read.graphs, read.pool, read.version.id, name, None, 200)
    return render(
        request, "datastore.html", store=store, consumers=readers[:200],
        batches=batches[:RUNS_SHOWN], runs=runs[:RUNS_SHOWN],
    )  # fmt: skip


@router.get("/datastores/{name}/datasets/{dataset}", name="console_dataset")
@page
async def dataset(request: Request, name: str, dataset: str) -> Response:
    """One dataset: its columns with types, keys and classifications."""
    read = await active_reading(request)
    async with read.connection() as db:
        found = await get_dataset(db, read.version.id, name, dataset)
    return render(request, "dataset.html", store=name, dataset=found)


@router.get("/workspaces/{name}", name="console_workspace")
@page
async def workspace(request: Request, name: str) -> Response:
    """Dataset groups with their sinks, the transformer, and its runs."""
    read = await active_reading(request)
    async with read.connection() as db:
        found = json.loads(await get_workspace(db, read.version.id, name))
        runs = []
        if found["transformer"]:
            where = RunFilter(RunKind.TRANSFORMER, found["transformer"])
            runs = await list_runs(db, where, None, RUNS_SHOWN)
    role = read_role(name, read.res.settings.role_prefix)
    return render(
        request, "workspace.html", workspace=found, runs=runs[:RUNS_SHOWN], role=role,
        schema=workspace_schema(name), views=workspace_views(found),
    )  # fmt: skip


def workspace_views(found: dict[str, Any]) -> list[tuple[str, str]]:
    """The views the workspace's role reads, as the security sync names them, with their sink
    (a history view only where the datastore keeps its rows' versions)."""
    views: dict[str, str] = {}
    for group in found["datasetGroups"]:
        for sink in group["sinks"]:
            store, dataset = sink["datastore"], sink["dataset"]
            views.setdefault(raw_table(store, dataset), f"{store}.{dataset}")
            if sink["history"]:
                views.setdefault(history_view(store, dataset), f"{store}.{dataset} (history)")
    return sorted(views.items())


@router.get("/transformers/{name}", name="console_transformer")
@page
async def transformer(request: Request, name: str) -> Response:
    """Code, trigger, resources, output, and the last runs with their log tails."""
    read = await active_reading(request)
    async with read.connection() as db:
        found = await get_transformer(db, read.version.id, name)
        runs = await list_runs(db, RunFilter(RunKind.TRANSFORMER, name), None, RUNS_SHOWN)
    return render(request, "transformer.html", transformer=found, runs=runs[:RUNS_SHOWN])


@router.get("/zones/{name}", name="console_zone")
@page
async def zone(request: Request, name: str) -> Response:
    """A zone's policies, owners and teams."""
    read = await active_reading(request)
    async with read.connection() as db:
        found = await get_zone(db, read.version.id, name)
    return render(request, "zone.html", zone=found)


@router.get("/zones/{zone}/teams/{name}", name="console_team")
@page
async def team(request: Request, zone: str, name: str) -> Response:
    """A team with the datastores and workspaces it owns."""
    read = await active_reading(request)
    async with read.connection() as db:
        found = await get_team(db, read.version.id, zone, name)
    return render(request, "team.html", team=found)
