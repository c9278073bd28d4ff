"""The compact graph of a version's rows walks and finds consumers as the model's graph does."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from app.catalog.consumer_walk import consumers_of
from app.catalog.version_graph import GraphCache, draw_rows
from app.ecosystem.graph import Direction, build_graph, consumers, walk
from app.ecosystem.model import Model
from tests.ecosystem.test_graph import chained_model, cycle_model


def _rows(model: Model) -> dict[str, list[dict[str, Any]]]:
    """The rows GRAPH_ROWS reads, as the store writes them for this model."""
    stores = model.datastores.values()
    workspaces = model.workspaces.values()
    return {
        "stores": [{"name": s.name, "producer": s.producer} for s in stores],
        "datasets": [{"datastore": s.name, "name": d} for s in stores for d in s.datasets],
        "workspaces": [{"name": w.name, "zone": w.zone, "team": w.team} for w in workspaces],
        "sinks": [
            {"workspace": w.name, "datastore": sink.datastore, "dataset": sink.dataset}
            for w in workspaces
            for group in w.spec.dataset_groups
            for sink in group.sinks
        ],
        "transformers": [
            {"name": t.name, "workspace": t.workspace, "output_datastore": t.output}
            for t in model.transformers.values()
        ],
    }


@pytest.mark.parametrize("make", [chained_model, cycle_model])
def test_walks_every_node_every_way_as_the_model_graph(make: Any) -> None:
    model = make()
    graph, built = build_graph(model), draw_rows(_rows(model))
    assert set(built.graph.names) == graph.nodes
    for node in graph.nodes:
        assert node in built.graph
        for direction in Direction:
            for depth in range(4):
                assert built.graph.walk(node, direction, depth) == walk(
                    graph, node, direction, depth
                ), (node, direction, depth)
    assert "datastore:Nowhere" not in built.graph
    assert built.graph.walk("datastore:Nowhere", Direction.BOTH, 2) == (
        {"datastore:Nowhere"},
        set(),
    )


@pytest.mark.parametrize("make", [chained_model, cycle_model])
def test_consumers_by_degree_with_what_each_sinks(make: Any) -> None:
    model = make()
    built = draw_rows(_rows(model))
    for store in model.datastores:
        found = consumers_of(built, store, None, 10**6)
        assert {row["workspace"]: row["degree"] for row in found} == consumers(model, store)
        for row in found:
            sunk = {
                sink.dataset
                for group in model.workspaces[row["workspace"]].spec.dataset_groups
                for sink in group.sinks
                if sink.datastore == row["datastore"]
            }
            assert row["datasets"] == sorted(sunk)


def test_a_sink_of_a_dataset_its_datastore_does_not_list_still_reads_it() -> None:
    model = chained_model()
    rows = _rows(model)
    sink = rows["sinks"][0]
    rows["datasets"] = [
        d
        for d in rows["datasets"]
        if (d["datastore"], d["name"]) != (sink["datastore"], sink["dataset"])
    ]
    found = consumers_of(draw_rows(rows), sink["datastore"], None, 10**6)
    reader = next(row for row in found if row["workspace"] == sink["workspace"])
    assert sink["dataset"] in reader["datasets"]


class _NoDatabase:
    def acquire(self) -> object:
        raise OSError("connection refused")


async def test_a_graph_not_built_ahead_is_logged_and_left_to_the_first_question(
    caplog: pytest.LogCaptureFixture,
) -> None:
    graphs = GraphCache()
    with caplog.at_level(logging.WARNING, logger="app.catalog.version_graph"):
        await graphs.warm(_NoDatabase(), 7)  # type: ignore[arg-type]
    assert "graph of model version 7 was not built ahead (OSError" in caplog.text
    assert 7 not in graphs.graphs and not graphs.warming
    with pytest.raises(OSError):  # the question asks again
        await graphs.get(_NoDatabase(), 7)  # type: ignore[arg-type]
    await graphs.close()
