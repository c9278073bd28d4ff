"""A consumers page walks only as many degrees as it shows, and pages add up to the whole list."""

from __future__ import annotations

from app.catalog.consumer_walk import consumers_of
from app.catalog.version_graph import VersionGraph


class Asked(VersionGraph):
    """A graph remembering which stores the walk asked the readers of."""

    asked: list[str]

    def readers_of(self, datastore: str) -> dict[str, list[str]]:
        self.asked.append(datastore)
        return super().readers_of(datastore)


def _chain_graph() -> Asked:
    """raw is read by a1, a2 (a1 transforms into out1); out1 by b1, b2 (b1 into out2); out2 by c1;
    and c1 transforms back into raw's reader out1 (a cycle the walk must end)."""
    built = Asked()
    built.asked = []
    reads = {"raw": ["a2", "a1"], "out1": ["b2", "b1", "a2"], "out2": ["c1"]}
    for store, workspaces in reads.items():
        for workspace in workspaces:
            built.unlisted.setdefault(store, {})[workspace] = ["d"]
            built.owner[workspace] = ("z", "t")
    built.transformer_of.update(a1="t1", b1="t2", c1="t3")
    built.output_of.update(t1="out1", t2="out2", t3="out1")
    return built


def test_pages_add_up_to_the_whole_list_in_degree_order() -> None:
    built = _chain_graph()
    whole = consumers_of(built, "raw", None, 100)
    assert [(r["degree"], r["workspace"]) for r in whole] == [
        (1, "a1"), (1, "a2"), (2, "b1"), (2, "b2"), (3, "c1"),
    ]  # fmt: skip
    assert whole[2]["via"] == ["t1"] and whole[4]["via"] == ["t1", "t2"]
    paged, after = [], None
    while True:
        page = consumers_of(built, "raw", after, 2)
        paged += page[:1]
        if len(page) < 2:
            break
        after = (page[0]["degree"], page[0]["workspace"])
    assert paged == whole


def test_a_short_page_stops_at_the_degree_that_fills_it() -> None:
    built = _chain_graph()
    asked = built
    first = consumers_of(built, "raw", None, 2)
    assert [r["workspace"] for r in first] == ["a1", "a2"]
    assert set(asked.asked) == {"raw"}  # out1, out2 never walked
    third = consumers_of(built, "raw", (2, "b1"), 1)
    assert [r["workspace"] for r in third] == ["b2"]
    assert set(asked.asked) == {"raw", "out1"}  # not out2
