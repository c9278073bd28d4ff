"""Lineage and consumers read from a stored version: the graph of app.ecosystem.graph, in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from app.ecosystem.graph import NODE_KINDS, Direction, Edge, node_id
from app.errors import InvalidParameterError, NotFoundError

DEPTH_CAP = 10

# One row per hop: the stores reached at that degree (each with the transformer chain that
# reached it) and every store seen so far, so a transformer reading its own output, or any
# cycle, ends the walk instead of looping.
CONSUMERS = """
WITH RECURSIVE hop (degree, reached, seen) AS (
    SELECT 1, jsonb_build_object($2::text, '[]'::jsonb), ARRAY[$2::text]
  UNION ALL
    SELECT h.degree + 1, n.reached, h.seen || n.stores
    FROM hop h, LATERAL (
        SELECT jsonb_object_agg(o.store, o.via) AS reached, array_agg(o.store) AS stores
        FROM (
            SELECT DISTINCT ON (t.output_datastore) t.output_datastore AS store,
                   r.via || to_jsonb(t.name) AS via
            FROM jsonb_each(h.reached) AS r (store, via)
            JOIN model_sinks s ON s.version_id = $1 AND s.datastore = r.store
            JOIN model_transformers t ON t.version_id = $1 AND t.workspace = s.workspace
            WHERE t.output_datastore <> ALL (h.seen)
            ORDER BY t.output_datastore, r.via || to_jsonb(t.name)
        ) o
    ) n
    WHERE n.stores IS NOT NULL
),
nearest AS (
    SELECT DISTINCT ON (s.workspace) s.workspace, h.degree, r.store AS datastore, r.via
    FROM hop h, jsonb_each(h.reached) AS r (store, via)
    JOIN model_sinks s ON s.version_id = $1 AND s.datastore = r.store
    ORDER BY s.workspace, h.degree, r.via, r.store
)
SELECT x.workspace, x.degree, w.zone, w.team, x.datastore,
       ARRAY(SELECT v.name FROM jsonb_array_elements_text(x.via) WITH ORDINALITY AS v (name, at)
             ORDER BY v.at) AS via,
       ARRAY(SELECT DISTINCT s.dataset FROM model_sinks s WHERE s.version_id = $1
             AND s.workspace = x.workspace AND s.datastore = x.datastore ORDER BY 1) AS datasets
FROM nearest x JOIN model_workspaces w ON w.version_id = $1 AND w.name = x.workspace
WHERE $3::int IS NULL OR (x.degree, x.workspace) > ($3, $4::text)
ORDER BY x.degree, x.workspace LIMIT $5
"""

# The edges out of (downstream) or into (upstream) a frontier of nodes, one branch per
# relation and direction, as app.ecosystem.graph.build_graph draws them.
HOP = """
WITH frontier (direction, kind, name, store, leaf) AS (
    SELECT f.direction, f.kind, f.name, split_part(f.name, '.', 1), split_part(f.name, '.', 2)
    FROM unnest($2::text[], $3::text[], $4::text[]) AS f (direction, kind, name)
)
SELECT f.direction, 'datastore:' || d.datastore AS source,
       'dataset:' || d.datastore || '.' || d.name AS target, 'contains' AS relation
FROM frontier f JOIN model_datasets d ON d.version_id = $1 AND d.datastore = f.name
WHERE f.direction = 'downstream' AND f.kind = 'datastore'
UNION
SELECT f.direction, 'dataset:' || s.datastore || '.' || s.dataset, 'workspace:' || s.workspace,
       'sunk-by'
FROM frontier f
JOIN model_sinks s ON s.version_id = $1 AND s.datastore = f.store AND s.dataset = f.leaf
WHERE f.direction = 'downstream' AND f.kind = 'dataset'
UNION
SELECT f.direction, 'workspace:' || t.workspace, 'transformer:' || t.name, 'input-of'
FROM frontier f JOIN model_transformers t ON t.version_id = $1 AND t.workspace = f.name
WHERE f.direction = 'downstream' AND f.kind = 'workspace'
UNION
SELECT f.direction, 'transformer:' || t.name, 'datastore:' || t.output_datastore, 'writes'
FROM frontier f JOIN model_transformers t ON t.version_id = $1 AND t.name = f.name
WHERE f.direction = 'downstream' AND f.kind = 'transformer'
UNION
SELECT f.direction, 'transformer:' || t.name, 'datastore:' || t.output_datastore, 'writes'
FROM frontier f JOIN model_transformers t ON t.version_id = $1 AND t.output_datastore = f.name
WHERE f.direction = 'upstream' AND f.kind = 'datastore'
UNION
SELECT f.direction, 'datastore:' || f.store, 'dataset:' || f.name, 'contains'
FROM frontier f WHERE f.direction = 'upstream' AND f.kind = 'dataset'
UNION
SELECT f.direction, 'dataset:' || s.datastore || '.' || s.dataset, 'workspace:' || s.workspace,
       'sunk-by'
FROM frontier f JOIN model_sinks s ON s.version_id = $1 AND s.workspace = f.name
JOIN model_datastores d ON d.version_id = $1 AND d.name = s.datastore
WHERE f.direction = 'upstream' AND f.kind = 'workspace'
UNION
SELECT f.direction, 'workspace:' || t.workspace, 'transformer:' || t.name, 'input-of'
FROM frontier f JOIN model_transformers t ON t.version_id = $1 AND t.name = f.name
WHERE f.direction = 'upstream' AND f.kind = 'transformer'
"""

EXISTS = {
    "datastore": "SELECT 1 FROM model_datastores WHERE version_id = $1 AND name = $2",
    "dataset": "SELECT 1 FROM model_datasets WHERE version_id = $1"
    " AND datastore = split_part($2, '.', 1) AND name = split_part($2, '.', 2)",
    "workspace": "SELECT 1 FROM model_workspaces WHERE version_id = $1 AND name = $2",
    "transformer": "SELECT 1 FROM model_transformers WHERE version_id = $1 AND name = $2",
}


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


async def require_datastore(connection: asyncpg.Connection, version_id: int, name: str) -> None:
    """Nothing, if the datastore exists in the version; a 404 naming it otherwise."""
    if not await connection.fetchval(EXISTS["datastore"], version_id, name):
        raise NotFoundError(f"datastore {name!r} does not exist in model version {version_id}")


async def consumers(
    connection: asyncpg.Connection,
    version_id: int,
    datastore: str,
    after: tuple[int, str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """The workspaces consuming a datastore by degree, then name (limit+1 rows, for paging)."""
    await require_datastore(connection, version_id, datastore)
    degree, workspace = after if after is not None else (None, None)
    rows = await connection.fetch(CONSUMERS, version_id, datastore, degree, workspace, limit + 1)
    return [dict(r) for r in rows]


async def lineage(
    connection: asyncpg.Connection, version_id: int, start: Node, direction: Direction, depth: int
) -> dict[str, Any]:
    """The nodes and edges within `depth` hops (capped) of a node, as graph.walk finds them."""
    if not await connection.fetchval(EXISTS[start.kind], version_id, start.name):
        raise NotFoundError(f"node {start.id!r} does not exist in model version {version_id}")
    walked = min(depth, DEPTH_CAP)
    both = (Direction.DOWNSTREAM, Direction.UPSTREAM)
    sides: tuple[Direction, ...] = both if direction is Direction.BOTH else (direction,)
    nodes, edges = await _walk(connection, version_id, start.id, sides, walked)
    return {
        "node": start.id,
        "direction": direction.value,
        "depth": walked,
        "depth_capped": depth > DEPTH_CAP,
        "nodes": [_node_out(n) for n in sorted(nodes)],
        "edges": [
            {"source": e.source, "target": e.target, "relation": e.relation}
            for e in sorted(edges, key=lambda e: (e.source, e.target, e.relation))
        ],
    }


async def _walk(
    connection: asyncpg.Connection,
    version_id: int,
    start: str,
    sides: tuple[Direction, ...],
    hops: int,
) -> tuple[set[str], set[Edge]]:
    """A breadth-first walk per side; each side visits a node once, so cycles end it."""
    seen = {side: {start} for side in sides}
    frontier = {side: [start] for side in sides}
    edges: set[Edge] = set()
    for _ in range(hops):
        if not any(frontier.values()):
            break
        found = await _hop(connection, version_id, frontier)
        edges.update(edge for _, edge in found)
        frontier = {side: [] for side in sides}
        for side, edge in found:
            other = edge.target if side is Direction.DOWNSTREAM else edge.source
            if other not in seen[side]:
                seen[side].add(other)
                frontier[side].append(other)
    nodes: set[str] = set().union(*seen.values())
    return nodes, edges


async def _hop(
    connection: asyncpg.Connection, version_id: int, frontier: dict[Direction, list[str]]
) -> list[tuple[Direction, Edge]]:
    """The edges leaving each side's frontier in that side's direction: one query per hop."""
    pairs = [(side, n.partition(":")) for side, ids in frontier.items() for n in ids]
    rows = await connection.fetch(
        HOP,
        version_id,
        [side.value for side, _ in pairs],
        [kind for _, (kind, _, _) in pairs],
        [name for _, (_, _, name) in pairs],
    )
    return [
        (Direction(r["direction"]), Edge(r["source"], r["target"], r["relation"])) for r in rows
    ]


def _node_out(identifier: str) -> dict[str, str]:
    kind, _, name = identifier.partition(":")
    return {"id": identifier, "kind": kind, "name": name}
