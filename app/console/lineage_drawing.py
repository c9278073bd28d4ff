"""A large lineage graph drawn by the server, as SVG: one column per hop from the start.

Cytoscape costs about a millisecond of the browser's time per node and edge (styles, bounding
boxes, a canvas frame) plus its 435 KB script: a walk of 500 nodes took 1.0-1.3 s to draw, past
1.5 s on a loaded machine. Past LARGE nodes the page gets the graph as SVG instead, already
placed: the browser parses and paints it with the page, and lineage.js only adds pan and zoom.
A smaller graph is still laid out by dagre in cytoscape (it reads better; it costs little there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

LARGE = 200  # nodes: from here the server draws the graph
# pixels: between the columns of one hop, the extra between hops, between the rows, around
COLUMN, HOP_GAP, ROW, MARGIN = 150, 110, 34, 40
RADIUS = 9  # of a node
ASPECT = 2.3  # width / height of the page's graph box at 1280 px: the drawing is made about so


@dataclass(frozen=True, slots=True)
class Drawing:
    """A graph placed for the page's SVG: nodes with x and y, edges with their two ends.

    `lines` and `arrows` are the edges as two SVG paths (each edge a segment and a triangle):
    two elements instead of one per edge keep the browser's parsing and painting short."""

    width: int
    height: int
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]

    @property
    def lines(self) -> str:
        return " ".join(f"M{e['x1']} {e['y1']}L{e['x2']} {e['y2']}" for e in self.edges)

    @property
    def arrows(self) -> str:
        return " ".join(_arrow(e["x1"], e["y1"], e["x2"], e["y2"]) for e in self.edges)


def is_large(graph: dict[str, Any]) -> bool:
    """Whether the server draws this graph (else cytoscape does)."""
    return len(graph["nodes"]) >= LARGE


def drawing(graph: dict[str, Any]) -> Drawing:
    """The graph of graph_elements placed by hop from the start, in the walk's order within one;
    a hop of many nodes takes several columns, so that the whole is about ASPECT times as wide
    as high (one column of 400 nodes would be drawn too thin to see)."""
    by_hop: dict[int, list[dict[str, Any]]] = {}
    for node in graph["nodes"]:
        by_hop.setdefault(node["hop"], []).append(node)
    rows = max(8, math.ceil(math.sqrt(len(graph["nodes"]) * COLUMN / (ASPECT * ROW))))
    at: dict[str, tuple[int, int]] = {}
    nodes = []
    left = MARGIN
    for hop in sorted(by_hop):
        for i, node in enumerate(by_hop[hop]):
            x, y = left + i // rows * COLUMN, MARGIN + i % rows * ROW
            at[node["id"]] = (x, y)
            nodes.append({**node, "x": x, "y": y, "start": node["id"] == graph["start"]})
        left += math.ceil(len(by_hop[hop]) / rows) * COLUMN + HOP_GAP
    edges = []
    for edge in graph["edges"]:
        if edge["source"] in at and edge["target"] in at:
            (x1, y1), (x2, y2) = at[edge["source"]], at[edge["target"]]
            edges.append({**edge, "x1": x1, "y1": y1, **_short_of_target(x1, y1, x2, y2)})
    width = left - COLUMN - HOP_GAP + MARGIN * 2 if by_hop else MARGIN * 2
    height = MARGIN * 2 + (min(rows, max((len(n) for n in by_hop.values()), default=1)) - 1) * ROW
    return Drawing(width, height + ROW, nodes, edges)  # a row more: the last labels


def _short_of_target(x1: int, y1: int, x2: int, y2: int) -> dict[str, float]:
    """The edge's end, stopped at the target's rim so that its arrowhead shows."""
    dx, dy = x2 - x1, y2 - y1
    length = (dx * dx + dy * dy) ** 0.5 or 1.0
    return {
        "x2": round(x2 - dx / length * RADIUS, 1),
        "y2": round(y2 - dy / length * RADIUS, 1),
    }


def _arrow(x1: float, y1: float, x2: float, y2: float) -> str:
    """The arrowhead at (x2, y2) of an edge from (x1, y1): a triangle 7 long, 6 wide."""
    dx, dy = x2 - x1, y2 - y1
    length = (dx * dx + dy * dy) ** 0.5 or 1.0
    ux, uy = dx / length, dy / length
    bx, by = x2 - ux * 7, y2 - uy * 7
    return f"M{x2} {y2}L{bx - uy * 3:.1f} {by + ux * 3:.1f}L{bx + uy * 3:.1f} {by - ux * 3:.1f}Z"
