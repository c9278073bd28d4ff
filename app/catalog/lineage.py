"""Lineage and consumers of a stored version, answered from its graph held in memory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from app.catalog.consumer_walk import consumers_of
from app.catalog.version_graph import CACHED_WALKS, GraphCache, VersionGraph, kept
from app.ecosystem.graph import NODE_KINDS, Direction, node_id
from app.errors import InvalidParameterError, NotFoundError

DEPTH_CAP = 10


@dataclass(frozen=True, slots=True)
class Node:
    """A node of the lineage graph: its kind and name (`Store.dataset` for a dataset)."""

    kind: str
    name: str

    @property
    def id(self) -> str:
        """The node's id, e.g. `dataset:Customers.customers`."""
        return node_id(self.kind, self.name)


def parse_node(text: str) -> Node:
    """The node named `<kind>:<name>`; anything else is a 422 naming `node`."""
    kind, colon, name = text.partition(":")
    if not colon or not name:
        raise InvalidParameterError("node", f"node {text!r} is not '<kind>:<name>'")
    if kind not in NODE_KINDS:
        raise InvalidParameterError(
            "node", f"node kind {kind!r} is not one of {', '.join(NODE_KINDS)}"
        )
    store, dot, dataset = name.partition(".")
    if kind == "dataset" and not (store and dot and dataset and "." not in dataset):
        raise InvalidParameterError("node", f"dataset node {text!r} is not 'dataset:Store.dataset'")
    return Node(kind, name)


async def require_datastore(
    graphs: GraphCache, pool: asyncpg.Pool, version_id: int, name: str
) -> VersionGraph:
    """The version's graph, if the datastore exists in it; a 404 naming it otherwise."""
    built = await graphs.get(pool, version_id)
    if node_id("datastore", name) not in built.graph:
        raise NotFoundError(f"datastore {name!r} does not exist in model version {version_id}")
    return built


async def consumers(
    graphs: GraphCache,
    pool: asyncpg.Pool,
    version_id: int,
    datastore: str,
    after: tuple[int, str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """The workspaces consuming a datastore by degree, then name (limit+1 rows, for paging)."""
    built = await require_datastore(graphs, pool, version_id, datastore)
    return consumers_of(built, datastore, after, limit + 1)


async def lineage(
    graphs: GraphCache,
    pool: asyncpg.Pool,
    version_id: int,
    start: Node,
    direction: Direction,
    depth: int,
) -> dict[str, Any]:
    """The nodes and edges within `depth` hops (capped) of a node, as graph.walk finds them."""
    built = await graphs.get(pool, version_id)
    if start.id not in built.graph:
        raise NotFoundError(f"node {start.id!r} does not exist in model version {version_id}")
    walked = min(depth, DEPTH_CAP)
    key = (start.id, direction, walked)
    answer: dict[str, Any] = kept(
        built.walks, key, lambda: _walk(built, start, direction, walked), CACHED_WALKS
    )
    return {**answer, "depthCapped": depth > DEPTH_CAP}


def _walk(built: VersionGraph, start: Node, direction: Direction, walked: int) -> dict[str, Any]:
    nodes, edges = built.graph.walk(start.id, direction, walked)
    return {
        "node": start.id,
        "direction": direction.value,
        "depth": walked,
        "nodes": [_node_out(n) for n in sorted(nodes)],
        "edges": [
            {"source": e.source, "target": e.target, "relation": e.relation}
            for e in sorted(edges, key=lambda e: (e.source, e.target, e.relation))
        ],
    }


def _node_out(identifier: str) -> dict[str, str]:
    kind, _, name = identifier.partition(":")
    return {"id": identifier, "kind": kind, "name": name}
