"""A lineage graph held as numbers: nodes numbered, edges in arrays by source and by target.

The same graph as app.ecosystem.graph's `Graph` (nodes `kind:name`, edges with a relation) and
the same walk, in a fifth of the memory: the large generated model's 39,000 nodes and 123,000
edges hold ~8 MB here against ~35 MB as `Edge` objects in lists. Edges are made as objects only
for the answer of a walk.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Iterator

from app.ecosystem.graph import Direction, Edge

RELATIONS = ("contains", "sunk-by", "input-of", "writes")
CONTAINS, SUNK_BY, INPUT_OF, WRITES = range(len(RELATIONS))


class CompactGraph:
    """Nodes by number (`ids`, `names`); each node's edges down (it is their source) and up
    (their target) as a slice of `starts` into the arrays of the other ends and relations."""

    __slots__ = ("down", "ids", "names", "up")

    def __init__(
        self,
        ids: dict[str, int],
        names: list[str],
        down: tuple[array[int], array[int], bytes],
        up: tuple[array[int], array[int], bytes],
    ) -> None:
        self.ids, self.names, self.down, self.up = ids, names, down, up

    def __contains__(self, node: object) -> bool:
        return node in self.ids

    def __len__(self) -> int:
        return len(self.names)

    def following(self, node: int, downstream: bool) -> Iterator[tuple[int, int]]:
        """The other end and the relation of each edge leaving (down) or reaching (up) a node."""
        starts, others, relations = self.down if downstream else self.up
        for at in range(starts[node], starts[node + 1]):
            yield others[at], relations[at]

    def walk(self, start: str, direction: Direction, depth: int) -> tuple[set[str], set[Edge]]:
        """The nodes and edges within `depth` hops of start, as app.ecosystem.graph's walk."""
        first = self.ids.get(start)
        if first is None:
            return {start}, set()
        reached, found = {first}, set()
        sides = (
            [True, False] if direction is Direction.BOTH else [direction is Direction.DOWNSTREAM]
        )
        for downstream in sides:
            starts, others, relations = self.down if downstream else self.up
            seen = {first}
            frontier = deque([(first, 0)])
            while frontier:
                node, hops = frontier.popleft()
                if hops == depth:
                    continue
                for at in range(starts[node], starts[node + 1]):
                    other = others[at]
                    found.add(
                        (node, other, relations[at]) if downstream else (other, node, relations[at])
                    )
                    if other not in seen:
                        seen.add(other)
                        frontier.append((other, hops + 1))
            reached |= seen
        names = self.names
        edges = {Edge(names[s], names[t], RELATIONS[r]) for s, t, r in found}
        return {names[n] for n in reached}, edges


class GraphBuilder:
    """Nodes and edges added one by one, then `done` packs them."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.names: list[str] = []
        self.sources, self.targets = array("I"), array("I")
        self.relations = bytearray()

    def node(self, identifier: str) -> int:
        """The number of a node, given on first sight."""
        number = self.ids.get(identifier)
        if number is None:
            number = self.ids[identifier] = len(self.names)
            self.names.append(identifier)
        return number

    def add(self, source: int, target: int, relation: int) -> None:
        """An edge between two numbered nodes (a repeated edge is kept, as `Graph.add` does)."""
        self.sources.append(source)
        self.targets.append(target)
        self.relations.append(relation)

    def done(self) -> CompactGraph:
        count = len(self.names)
        down = _by(count, self.sources, self.targets, self.relations)
        up = _by(count, self.targets, self.sources, self.relations)
        return CompactGraph(self.ids, self.names, down, up)


def _by(
    count: int, keys: array[int], others: array[int], relations: bytearray
) -> tuple[array[int], array[int], bytes]:
    """The edges grouped by `keys` (a counting sort: each node's in the order added)."""
    starts = array("I", bytes(4 * (count + 1)))
    for key in keys:
        starts[key + 1] += 1
    for node in range(count):
        starts[node + 1] += starts[node]
    fill = array("I", starts)
    placed = array("I", bytes(4 * len(keys)))
    kinds = bytearray(len(keys))
    for index, key in enumerate(keys):
        at = fill[key]
        placed[at], kinds[at] = others[index], relations[index]
        fill[key] = at + 1
    return starts, placed, bytes(kinds)
