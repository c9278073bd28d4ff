"""The lineage graph of a stored version, held in memory: consumers and walks in microseconds.

A version never changes once stored, so its graph is built once (five queries) and kept for
the few versions last asked about. It is the graph of app.ecosystem.graph, built from rows.

Kept compact: every node's id is one string shared by all its edges, and the rows are read in
chunks through a cursor, drawn as they come (the large generated model's graph, 39,000 nodes
and 123,000 edges, holds ~35 MB; all its rows at once would be ~30 MB more at the peak, which
the process keeps). The service builds the active version's graph in the background after it
starts (`GraphCache.warm`): readiness does not wait for it, the first question rarely does.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import asyncpg

from app.catalog.compact_graph import (
    CONTAINS,
    INPUT_OF,
    SUNK_BY,
    WRITES,
    CompactGraph,
    GraphBuilder,
)
from app.ecosystem.graph import node_id

CACHED_VERSIONS = 4


class Row(Protocol):
    """A row read by name: an asyncpg record, or a dict in tests."""

    def __getitem__(self, key: str, /) -> Any: ...


CHUNK_ROWS = 5000  # rows drawn per fetch: a few ms of CPU, the event loop is never held long
log = logging.getLogger(__name__)


@dataclass(slots=True)
class VersionGraph:
    """The graph of one version and the indexes consumers need."""

    graph: CompactGraph = field(default_factory=lambda: GraphBuilder().done())
    transformer_of: dict[str, str] = field(default_factory=dict)  # workspace -> its transformer
    output_of: dict[str, str] = field(default_factory=dict)  # transformer -> its output datastore
    owner: dict[str, tuple[str, str]] = field(default_factory=dict)  # workspace -> (zone, team)
    # sinks of a dataset its datastore does not list: store -> workspace -> datasets (rare)
    unlisted: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    walks: OrderedDict[Hashable, Any] = field(default_factory=OrderedDict)  # lineage answers

    def readers_of(self, datastore: str) -> dict[str, list[str]]:
        """The workspaces sinking datasets of a datastore, each with those datasets (the
        edges datastore -contains-> dataset -sunk-by-> workspace)."""
        graph, found = self.graph, {w: list(d) for w, d in self.unlisted.get(datastore, {}).items()}
        store = graph.ids.get(node_id("datastore", datastore))
        if store is None:
            return found
        names, cut = graph.names, len("dataset:") + len(datastore) + 1
        for dataset, relation in graph.following(store, downstream=True):
            if relation == CONTAINS:
                for workspace, sunk in graph.following(dataset, downstream=True):
                    if sunk == SUNK_BY:
                        found.setdefault(names[workspace][WORKSPACE:], []).append(
                            names[dataset][cut:]
                        )
        return found


WORKSPACE = len("workspace:")
CACHED_WALKS = 256  # lineage answers kept per version: tools ask about the same nodes again


class GraphCache:
    """The graphs of the versions last asked about (one cache per service)."""

    def __init__(self, size: int = CACHED_VERSIONS) -> None:
        self.size = size
        self.graphs: OrderedDict[int, VersionGraph] = OrderedDict()
        self.building: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.warming: set[asyncio.Task[None]] = set()

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

    def warm(self, pool: asyncpg.Pool, version_id: int) -> asyncio.Task[None]:
        """Build a version's graph in the background: whoever asks meanwhile waits for this
        build (no second one); a failure is logged, and the first question builds it again."""
        task = asyncio.create_task(self._warm(pool, version_id), name=f"graph-{version_id}")
        self.warming.add(task)
        task.add_done_callback(self.warming.discard)
        return task

    async def _warm(self, pool: asyncpg.Pool, version_id: int) -> None:
        try:
            await self.get(pool, version_id)
        except Exception as error:  # the service runs on; the first question tries again
            log.warning(
                "the graph of model version %s was not built ahead (%s: %s): the first"
                " question builds it",
                version_id, type(error).__name__, error,
                extra={"version_id": version_id},
            )  # fmt: skip

    async def close(self) -> None:
        """Stop the builds still running in the background."""
        for task in list(self.warming):
            task.cancel()
        await asyncio.gather(*self.warming, return_exceptions=True)


async def _build(connection: asyncpg.Connection, version_id: int) -> VersionGraph:
    """Five queries in one snapshot, each read in chunks and drawn as they come."""
    drawing = _Drawing()
    async with connection.transaction(isolation="repeatable_read", readonly=True):
        for name, query in GRAPH_ROWS.items():
            cursor = await connection.cursor(query, version_id)
            while rows := await cursor.fetch(CHUNK_ROWS):
                drawing.draw(name, rows)
    return drawing.done()


GRAPH_ROWS = {  # in this order: a sink's datastore is known when the sinks come
    "stores": "SELECT name, producer FROM model_datastores WHERE version_id = $1",
    "datasets": "SELECT datastore, name FROM model_datasets WHERE version_id = $1",
    "workspaces": "SELECT name, zone, team FROM model_workspaces WHERE version_id = $1",
    "sinks": "SELECT workspace, datastore, dataset FROM model_sinks WHERE version_id = $1",
    "transformers": "SELECT name, workspace, output_datastore FROM model_transformers WHERE version_id = $1",
}


def draw_rows(rows: Mapping[str, Sequence[Row]]) -> VersionGraph:
    """The graph of a version's rows all at once (the rows of GRAPH_ROWS by name, as mappings)."""
    drawing = _Drawing()
    for name in GRAPH_ROWS:
        drawing.draw(name, rows[name])
    return drawing.done()


class _Drawing:
    """A graph drawn from rows as they come (nodes numbered on first sight)."""

    def __init__(self) -> None:
        self.built = VersionGraph()
        self.graph = GraphBuilder()
        self.stores: set[str] = set()
        self.listed: set[int] = set()  # the datasets their datastores list

    def draw(self, name: str, rows: Sequence[Row]) -> None:
        getattr(self, f"_{name}")(rows)

    def _stores(self, rows: Sequence[Row]) -> None:
        node, add = self.graph.node, self.graph.add
        for store in rows:
            self.stores.add(store["name"])
            identifier = node(node_id("datastore", store["name"]))
            if store["producer"]:
                add(node(node_id("transformer", store["producer"])), identifier, WRITES)

    def _datasets(self, rows: Sequence[Row]) -> None:
        node, add = self.graph.node, self.graph.add
        for dataset in rows:
            store = dataset["datastore"]
            identifier = node(node_id("dataset", f"{store}.{dataset['name']}"))
            add(node(node_id("datastore", store)), identifier, CONTAINS)
            if store in self.stores:
                self.listed.add(identifier)

    def _workspaces(self, rows: Sequence[Row]) -> None:
        owner = self.built.owner
        for workspace in rows:
            self.graph.node(node_id("workspace", workspace["name"]))
            owner[workspace["name"]] = (workspace["zone"], workspace["team"])

    def _sinks(self, rows: Sequence[Row]) -> None:
        node, add = self.graph.node, self.graph.add
        for sink in rows:
            store, name, workspace = sink["datastore"], sink["dataset"], sink["workspace"]
            if store not in self.stores:
                continue
            dataset = node(node_id("dataset", f"{store}.{name}"))
            add(dataset, node(node_id("workspace", workspace)), SUNK_BY)
            if dataset not in self.listed:
                self.built.unlisted.setdefault(store, {}).setdefault(workspace, []).append(name)

    def _transformers(self, rows: Sequence[Row]) -> None:
        built, node = self.built, self.graph.node
        for transformer in rows:
            name, workspace = transformer["name"], transformer["workspace"]
            source = node(node_id("workspace", workspace))
            self.graph.add(source, node(node_id("transformer", name)), INPUT_OF)
            built.transformer_of[workspace] = name
            built.output_of[name] = transformer["output_datastore"]

    def done(self) -> VersionGraph:
        self.built.graph = self.graph.done()
        return self.built


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
