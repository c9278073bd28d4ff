"""Who sinks what: lineage up and down from any node, consumers by degree, transformer cycles."""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from enum import StrEnum

from app.ecosystem.model import Model

NODE_KINDS = ("datastore", "dataset", "workspace", "transformer")


class Direction(StrEnum):
    UPSTREAM = "upstream"
    DOWNSTREAM = "downstream"
    BOTH = "both"


def node_id(kind: str, name: str) -> str:
    """The id of a graph node, e.g. `dataset:Customers.customers`."""
    return f"{kind}:{name}"


@dataclass(frozen=True, slots=True)
class Edge:
    """A flow of data from one node to another, and what the flow is."""

    source: str
    target: str
    relation: str  # contains | sunk-by | input-of | writes


@dataclass(slots=True)
class Graph:
    """The data-flow graph of a model."""

    nodes: set[str] = field(default_factory=set)
    down: dict[str, list[Edge]] = field(default_factory=lambda: defaultdict(list))
    up: dict[str, list[Edge]] = field(default_factory=lambda: defaultdict(list))

    def add(self, source: str, target: str, relation: str) -> None:
        """Add an edge (and its nodes)."""
        edge = Edge(source, target, relation)
        self.nodes.update((source, target))
        self.down[source].append(edge)
        self.up[target].append(edge)


def sinks_by_dataset(model: Model) -> dict[tuple[str, str], set[str]]:
    """For every sunk (datastore, dataset), the workspaces sinking it."""
    index: dict[tuple[str, str], set[str]] = defaultdict(set)
    for workspace in model.workspaces.values():
        for group in workspace.spec.dataset_groups:
            for sink in group.sinks:
                index[(sink.datastore, sink.dataset)].add(workspace.name)
    return index


def build_graph(model: Model) -> Graph:
    """The graph of every datastore, dataset, workspace and transformer of a model."""
    graph = Graph()
    for store in model.datastores.values():
        graph.nodes.add(node_id("datastore", store.name))
        for dataset in store.datasets:
            graph.add(
                node_id("datastore", store.name),
                node_id("dataset", f"{store.name}.{dataset}"),
                "contains",
            )
        if store.producer:
            graph.add(
                node_id("transformer", store.producer), node_id("datastore", store.name), "writes"
            )
    for workspace in model.workspaces.values():
        target = node_id("workspace", workspace.name)
        graph.nodes.add(target)
        for group in workspace.spec.dataset_groups:
            for sink in group.sinks:
                if sink.datastore in model.datastores:
                    graph.add(
                        node_id("dataset", f"{sink.datastore}.{sink.dataset}"), target, "sunk-by"
                    )
        if workspace.spec.transformer is not None:
            graph.add(target, node_id("transformer", workspace.spec.transformer.name), "input-of")
    return graph


def walk(graph: Graph, start: str, direction: Direction, depth: int) -> tuple[set[str], set[Edge]]:
    """The nodes and edges within `depth` hops of start; visiting each node once keeps cycles safe."""
    nodes, edges = {start}, set()
    sides = (
        [graph.down, graph.up]
        if direction is Direction.BOTH
        else [graph.down if direction is Direction.DOWNSTREAM else graph.up]
    )
    for side in sides:
        seen = {start}
        frontier = deque([(start, 0)])
        while frontier:
            node, hops = frontier.popleft()
            if hops == depth:
                continue
            for edge in side.get(node, ()):
                edges.add(edge)
                other = edge.target if side is graph.down else edge.source
                if other not in seen:
                    seen.add(other)
                    frontier.append((other, hops + 1))
        nodes |= seen
    return nodes, edges


def workspaces_by_datastore(model: Model) -> dict[str, set[str]]:
    """For every sunk datastore, the workspaces sinking any of its datasets."""
    by_store: dict[str, set[str]] = defaultdict(set)
    for (store, _), workspaces in sinks_by_dataset(model).items():
        by_store[store] |= workspaces
    return by_store


def consumers(
    model: Model, datastore: str, by_store: dict[str, set[str]] | None = None
) -> dict[str, int]:
    """The workspaces consuming a datastore, directly (degree 1) or through transformers.

    `by_store` (from `workspaces_by_datastore`) may be passed when asking many times.
    """
    by_store = workspaces_by_datastore(model) if by_store is None else by_store
    found: dict[str, int] = {}
    frontier = deque([(datastore, 1)])
    visited_stores = {datastore}
    while frontier:
        store, degree = frontier.popleft()
        for name in sorted(by_store.get(store, ())):
            if name in found:
                continue
            found[name] = degree
            transformer = model.workspaces[name].spec.transformer
            if transformer and transformer.output.name not in visited_stores:
                visited_stores.add(transformer.output.name)
                frontier.append((transformer.output.name, degree + 1))
    return found


def transformer_edges(model: Model) -> dict[str, set[str]]:
    """Transformer → the transformers whose workspaces sink its output."""
    output_of = {t.output: t.name for t in model.transformers.values()}
    edges: dict[str, set[str]] = {name: set() for name in model.transformers}
    for transformer in model.transformers.values():
        workspace = model.workspaces.get(transformer.workspace)
        if workspace is None:
            continue
        for group in workspace.spec.dataset_groups:
            for sink in group.sinks:
                upstream = output_of.get(sink.datastore)
                if upstream is not None:
                    edges[upstream].add(transformer.name)
    return edges


def transformer_cycles(model: Model) -> list[list[str]]:
    """Cycles between two or more transformers (strongly connected components), sorted."""
    edges = transformer_edges(model)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return sorted(cycles)
