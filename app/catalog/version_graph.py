"""The lineage graph of a stored version, held in memory: consumers and walks in microseconds.

A version never changes once stored, so its graph is built once (five queries) and kept for
the few versions last asked about. It is the graph of app.ecosystem.graph, built from rows.
"""

from __future__ import annotations

import asyncio
import gc
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, cast

import asyncpg

from app.ecosystem.graph import Graph, node_id

CACHED_VERSIONS = 4


@dataclass(slots=True)
class VersionGraph:
    """The graph of one version and the indexes consumers need."""

    graph: Graph = field(default_factory=Graph)
    readers: dict[str, dict[str, set[str]]] = field(default_factory=lambda: defaultdict(dict))
    transformer_of: dict[str, str] = field(default_factory=dict)  # workspace -> its transformer
    output_of: dict[str, str] = field(default_factory=dict)  # transformer -> its output datastore
    owner: dict[str, tuple[str, str]] = field(default_factory=dict)  # workspace -> (zone, team)
    walks: OrderedDict[Hashable, Any] = field(default_factory=OrderedDict)  # lineage answers


CACHED_WALKS = 256  # lineage answers kept per version: tools ask about the same nodes again


class GraphCache:
    """The graphs of the versions last asked about (one cache per service)."""

    def __init__(self, size: int = CACHED_VERSIONS) -> None:
        self.size = size
        self.graphs: OrderedDict[int, VersionGraph] = OrderedDict()
        self.building: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def get(self, pool: asyncpg.Pool, version_id: int) -> VersionGraph:
        """The graph of a version, built on first use (once, however many ask at the same time)."""
        found = self.graphs.get(version_id)
        if found is not None:  # the common case: no lock, no connection
            self.graphs.move_to_end(version_id)
            return found
        async with self.building[version_id]:
            found = self.graphs.get(version_id)
            if found is None:
                async with pool.acquire() as connection:
                    found = await _build(cast(asyncpg.Connection, connection), version_id)
                self.graphs[version_id] = found
                # a large graph is a million long-lived objects: keep them out of the cyclic
                # collector's scans, or every full collection stalls requests (p99 spikes)
                gc.freeze()
                while len(self.graphs) > self.size:
                    evicted, _ = self.graphs.popitem(last=False)
                    self.building.pop(evicted, None)
            self.graphs.move_to_end(version_id)
            return found


async def _build(connection: asyncpg.Connection, version_id: int) -> VersionGraph:
    """Five queries in one snapshot, then the graph as build_graph draws it."""
    async with connection.transaction(isolation="repeatable_read", readonly=True):
        rows = {
            name: await connection.fetch(query, version_id) for name, query in GRAPH_ROWS.items()
        }
    return _draw(rows)


GRAPH_ROWS = {
    "stores": "SELECT name, producer FROM model_datastores WHERE version_id = $1",
    "datasets": "SELECT datastore, name FROM model_datasets WHERE version_id = $1",
    "workspaces": "SELECT name, zone, team FROM model_workspaces WHERE version_id = $1",
    "sinks": "SELECT workspace, datastore, dataset FROM model_sinks WHERE version_id = $1",
    "transformers": "SELECT name, workspace, output_datastore FROM model_transformers WHERE version_id = $1",
}


def _draw(rows: dict[str, list[asyncpg.Record]]) -> VersionGraph:
    built = VersionGraph()
    graph = built.graph
    for store in rows["stores"]:
        graph.nodes.add(node_id("datastore", store["name"]))
        if store["producer"]:
            graph.add(
                node_id("transformer", store["producer"]),
                node_id("datastore", store["name"]),
                "writes",
            )
    for dataset in rows["datasets"]:
        store = dataset["datastore"]
        graph.add(
            node_id("datastore", store),
            node_id("dataset", f"{store}.{dataset['name']}"),
            "contains",
        )
    for workspace in rows["workspaces"]:
        graph.nodes.add(node_id("workspace", workspace["name"]))
        built.owner[workspace["name"]] = (workspace["zone"], workspace["team"])
    known = {s["name"] for s in rows["stores"]}
    for sink in rows["sinks"]:
        if sink["datastore"] in known:
            target = node_id("workspace", sink["workspace"])
            graph.add(
                node_id("dataset", f"{sink['datastore']}.{sink['dataset']}"), target, "sunk-by"
            )
            built.readers[sink["datastore"]].setdefault(sink["workspace"], set()).add(
                sink["dataset"]
            )
    for transformer in rows["transformers"]:
        graph.add(
            node_id("workspace", transformer["workspace"]),
            node_id("transformer", transformer["name"]),
            "input-of",
        )
        built.transformer_of[transformer["workspace"]] = transformer["name"]
        built.output_of[transformer["name"]] = transformer["output_datastore"]
    return built


def consumers_of(
    built: VersionGraph, datastore: str, after: tuple[int, str] | None, wanted: int
) -> list[dict[str, Any]]:
    """The first `wanted` workspaces reading a datastore after (degree, name) `after`, by degree
    and name: the walk stops at the first degree by whose end enough were found, since every
    workspace found later has a higher degree (a page costs what it shows, not the whole
    closure of thousands of workspaces behind a much-read datastore)."""
    nearest = _nearest(built, datastore, after, wanted)
    rows = sorted(
        (degree, workspace, via, store) for workspace, (degree, via, store) in nearest.items()
    )
    if after is not None:
        rows = [row for row in rows if (row[0], row[1]) > after]
    return [
        {
            "workspace": workspace,
            "degree": degree,
            "zone": built.owner.get(workspace, ("", ""))[0],
            "team": built.owner.get(workspace, ("", ""))[1],
            "datastore": store,
            "via": via,
            "datasets": sorted(built.readers[store][workspace]),
        }
        for degree, workspace, via, store in rows[:wanted]
    ]


def kept(cache: OrderedDict[Any, Any], key: Hashable, make: Callable[[], Any], size: int) -> Any:
    """The value of a key, made on first use and kept among the `size` last used (a version
    never changes, so neither does anything computed from it)."""
    found = cache.get(key)
    if found is None:
        found = cache[key] = make()
        while len(cache) > size:
            cache.popitem(last=False)
    cache.move_to_end(key)
    return found


def _nearest(
    built: VersionGraph, datastore: str, after: tuple[int, str] | None, wanted: int
) -> dict[str, tuple[int, list[str], str]]:
    """Workspaces reading a datastore: degree 1 directly, +1 through each transformer.

    Each gets its lowest degree and, among chains of that degree, the first by (chain, store).
    An output already reached is not followed again, so cycles end the walk.
    """
    nearest: dict[str, tuple[int, list[str], str]] = {}
    reached: dict[str, list[str]] = {datastore: []}  # store -> the chain that reached it
    seen = {datastore}
    degree = 1
    while reached:
        for store, via in reached.items():
            for workspace in built.readers.get(store, ()):
                best = nearest.get(workspace)
                if best is None or (degree, via, store) < best:
                    nearest[workspace] = (degree, via, store)
        found = (
            len(nearest)
            if after is None
            else sum((d, w) > after for w, (d, _, _) in nearest.items())
        )
        if found >= wanted:
            break  # this degree is complete, and every later one comes after it
        following: dict[str, list[str]] = {}
        for store, via in reached.items():
            for workspace in built.readers.get(store, ()):
                transformer = built.transformer_of.get(workspace)
                output = built.output_of.get(transformer or "")
                if output is not None and output not in seen:
                    chain = [*via, transformer or ""]
                    if output not in following or chain < following[output]:
                        following[output] = chain
        seen.update(following)
        reached, degree = following, degree + 1
    return nearest
