"""Lineage as an interactive graph (/ui/lineage), its nodes also listed as links."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.catalog.lineage import DEPTH_CAP, lineage, parse_node
from app.console.lineage_drawing import drawing, is_large
from app.console.links import entity_url
from app.console.reads import active_reading
from app.console.web import page, render
from app.ecosystem.graph import Direction
from app.errors import InvalidParameterError

router = APIRouter()


def _direction(text: str) -> Direction:
    try:
        return Direction(text)
    except ValueError:
        choices = ", ".join(d.value for d in Direction)
        raise InvalidParameterError(
            "direction", f"direction {text[:40]!r} is not one of {choices}"
        ) from None


def _depth(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= DEPTH_CAP:
        raise InvalidParameterError(
            "depth", f"depth {text[:40]!r} is not a whole number from 1 to {DEPTH_CAP}"
        )
    return int(text)


def hops(start: str, edges: list[dict[str, str]]) -> dict[str, int]:
    """Each node's hop from the start along the walk: downstream positive, upstream negative."""
    ahead: dict[str, list[str]] = {}
    behind: dict[str, list[str]] = {}
    for edge in edges:
        ahead.setdefault(edge["source"], []).append(edge["target"])
        behind.setdefault(edge["target"], []).append(edge["source"])
    found = {start: 0}
    for step, links in ((1, ahead), (-1, behind)):
        frontier, seen = [start], {start}
        while frontier:
            following = []
            for node in frontier:
                for other in links.get(node, ()):
                    if other not in seen:
                        seen.add(other)
                        found.setdefault(other, found[node] + step)
                        following.append(other)
            frontier = following
    return found


def graph_elements(found: dict[str, Any]) -> dict[str, Any]:
    """The walk as the page's script draws it: nodes with their pages and their hop from the
    start (the columns a large graph is laid out in, without a layout's cost), edges, the start."""
    hop = hops(found["node"], found["edges"])
    nodes = [
        {**node, "url": entity_url(node["kind"], node["name"]), "hop": hop.get(node["id"], 0)}
        for node in found["nodes"]
    ]
    return {"start": found["node"], "nodes": nodes, "edges": found["edges"]}


def _drawn_by_server(graph: dict[str, Any], draw: str) -> bool:
    """Whether the server draws the graph: `draw` says so (server, browser), or its size."""
    if draw not in ("", "server", "browser"):
        raise InvalidParameterError("draw", f"draw {draw[:40]!r} is not one of server, browser")
    return draw == "server" or (draw == "" and is_large(graph))


@router.get("/lineage", name="console_lineage")
@page
async def lineage_page(
    request: Request, node: str = "", direction: str = "both", depth: str = "2", draw: str = ""
) -> Response:
    """Nodes and edges within `depth` hops of a node, upstream, downstream or both; drawn by the
    server past LARGE nodes (or with draw=server), else in the browser (or with draw=browser)."""
    read = await active_reading(request)
    if not node:
        return render(
            request, "lineage.html", graph=None, node="", direction="both", depth=2,
            depth_cap=DEPTH_CAP, drawn=None,
        )  # fmt: skip
    start, walk, hops = parse_node(node[:300]), _direction(direction), _depth(depth)
    found = await lineage(read.graphs, read.pool, read.version.id, start, walk, hops)
    graph = graph_elements(found)
    return render(
        request, "lineage.html", graph=graph, node=start.id, direction=walk.value, depth=hops,
        depth_cap=DEPTH_CAP, drawn=drawing(graph) if _drawn_by_server(graph, draw) else None,
    )  # fmt: skip
