"""Lineage: the data-flow graph, walks with depth limits, consumers by degree, cycles."""

from __future__ import annotations

from app.ecosystem.graph import (
    Direction,
    Edge,
    build_graph,
    consumers,
    node_id,
    sinks_by_dataset,
    transformer_cycles,
    transformer_edges,
    walk,
)
from app.ecosystem.model import Model
from tests.ecosystem.diffbase import Doc, base, copied, load, sink, transformer, workspace

ID_COLUMN = [{"name": "id", "type": "bigint", "primaryKey": True}]


def table(name: str) -> list[Doc]:
    """One dataset with a primary key, as a transformer output."""
    return [{"name": name, "classification": ["pub"], "columns": ID_COLUMN}]


def chained_model() -> Model:
    """The base model, one hop longer: Downstream's transformer Refine writes Further, sunk by Far."""
    documents = copied(base())
    documents["downstream"] = workspace(
        "Downstream", [sink("Masked", "masked")], transformer("Refine", "Further", table("further"))
    )
    documents["far"] = workspace("Far", [sink("Further", "further")])
    return load(documents)


def looped_documents() -> dict[str, Doc]:
    """The base model plus Loop, whose transformer SelfLoop reads its own output Looped."""
    documents = copied(base())
    documents["loop"] = workspace(
        "Loop", [sink("Looped", "data")], transformer("SelfLoop", "Looped", table("data"))
    )
    return documents


def cycle_model() -> Model:
    """Transformers TA ⇄ TB (a 2-cycle), TC → TD → TE → TC (a 3-cycle), and a self-loop."""
    documents = looped_documents()
    ring = {"A": "B", "B": "A", "C": "E", "D": "C", "E": "D"}  # workspace -> whose output it sinks
    for name, upstream in ring.items():
        documents[f"ring-{name}"] = workspace(
            name,
            [sink(f"Out{upstream}", "data")],
            transformer(f"T{name}", f"Out{name}", table("data")),
        )
    model = load(documents, strict=False)
    assert {p.code for p in model.problems} == {"transformer-cycle"}
    return model


def ds(store: str, name: str) -> str:
    return node_id("dataset", f"{store}.{name}")


def ws(name: str) -> str:
    return node_id("workspace", name)


def tf(name: str) -> str:
    return node_id("transformer", name)


def st(name: str) -> str:
    return node_id("datastore", name)


# --- the graph --------------------------------------------------------------------------------


def test_node_ids_name_kind_and_entity() -> None:
    assert node_id("dataset", "Customers.customers") == "dataset:Customers.customers"


def test_edges_carry_their_relation() -> None:
    graph = build_graph(load(base()))
    assert (
        Edge(st("Customers"), ds("Customers", "customers"), "contains")
        in graph.down[st("Customers")]
    )
    assert (
        Edge(ds("Customers", "customers"), ws("Reporting"), "sunk-by")
        in graph.down[ds("Customers", "customers")]
    )
    assert Edge(ws("Reporting"), tf("MaskCustomers"), "input-of") in graph.down[ws("Reporting")]
    assert Edge(tf("MaskCustomers"), st("Masked"), "writes") in graph.down[tf("MaskCustomers")]
    # the same edges are indexed by their target
    assert Edge(tf("MaskCustomers"), st("Masked"), "writes") in graph.up[st("Masked")]
    assert {e.relation for e in graph.up[ws("Marketing")]} == {"sunk-by"}
    relations = {e.relation for edges in graph.down.values() for e in edges}
    assert relations == {"contains", "sunk-by", "input-of", "writes"}


def test_every_entity_is_a_node_even_without_edges() -> None:
    documents = copied(base())
    documents["unused"]["spec"]["datasets"] = []
    graph = build_graph(load(documents, strict=False))
    assert st("Unused") in graph.nodes
    assert not graph.down.get(st("Unused"))
    assert {ws("Reporting"), ws("Marketing"), ws("Downstream"), ws("Orders")} <= graph.nodes


# --- walks ------------------------------------------------------------------------------------


def test_walk_downstream_respects_depth() -> None:
    graph = build_graph(load(base()))
    start = ds("Customers", "customers")
    nodes, edges = walk(graph, start, Direction.DOWNSTREAM, 1)
    assert nodes == {start, ws("Reporting"), ws("Marketing")}
    assert edges == {
        Edge(start, ws("Reporting"), "sunk-by"),
        Edge(start, ws("Marketing"), "sunk-by"),
    }
    nodes, _ = walk(graph, start, Direction.DOWNSTREAM, 2)
    assert nodes == {start, ws("Reporting"), ws("Marketing"), tf("MaskCustomers")}
    nodes, _ = walk(graph, start, Direction.DOWNSTREAM, 4)
    assert ds("Masked", "masked") in nodes
    assert ws("Downstream") not in nodes
    nodes, edges = walk(graph, start, Direction.DOWNSTREAM, 5)
    assert ws("Downstream") in nodes
    assert Edge(ds("Masked", "masked"), ws("Downstream"), "sunk-by") in edges
    # downstream never goes back up
    assert st("Customers") not in nodes


def test_walk_with_depth_zero_is_the_start_alone() -> None:
    graph = build_graph(load(base()))
    start = ds("Customers", "customers")
    assert walk(graph, start, Direction.BOTH, 0) == ({start}, set())


def test_walk_upstream_finds_the_sources_only() -> None:
    graph = build_graph(load(base()))
    start = ws("Downstream")
    nodes, edges = walk(graph, start, Direction.UPSTREAM, 2)
    assert nodes == {start, ds("Masked", "masked"), st("Masked")}
    assert edges == {
        Edge(ds("Masked", "masked"), start, "sunk-by"),
        Edge(st("Masked"), ds("Masked", "masked"), "contains"),
    }
    nodes, _ = walk(graph, start, Direction.UPSTREAM, 50)
    assert nodes == {
        start,
        ds("Masked", "masked"),
        st("Masked"),
        tf("MaskCustomers"),
        ws("Reporting"),
        ds("Customers", "customers"),
        st("Customers"),
    }
    # siblings are neither upstream nor downstream of Downstream
    assert ws("Marketing") not in nodes
    assert ds("Customers", "orders") not in nodes


def test_walk_both_ways_joins_both_sides() -> None:
    graph = build_graph(load(base()))
    start = tf("MaskCustomers")
    nodes, edges = walk(graph, start, Direction.BOTH, 1)
    assert nodes == {start, ws("Reporting"), st("Masked")}
    assert edges == {
        Edge(ws("Reporting"), start, "input-of"),
        Edge(start, st("Masked"), "writes"),
    }
    up, _ = walk(graph, start, Direction.UPSTREAM, 3)
    down, _ = walk(graph, start, Direction.DOWNSTREAM, 3)
    both, _ = walk(graph, start, Direction.BOTH, 3)
    assert both == up | down
    assert ws("Marketing") not in both  # a sibling, reached only by going up then down


def test_a_transformer_reading_its_own_output_does_not_loop() -> None:
    model = load(looped_documents())  # allowed: no errors, no warnings
    graph = build_graph(model)
    loop = {ds("Looped", "data"), ws("Loop"), tf("SelfLoop"), st("Looped")}
    for direction in Direction:
        nodes, edges = walk(graph, ds("Looped", "data"), direction, 10_000)
        assert nodes == loop
        assert len(edges) == 4
    nodes, _ = walk(graph, ws("Loop"), Direction.DOWNSTREAM, 2)
    assert nodes == {ws("Loop"), tf("SelfLoop"), st("Looped")}
    assert consumers(model, "Looped") == {"Loop": 1}


def test_walks_terminate_on_transformer_cycles() -> None:
    graph = build_graph(cycle_model())
    nodes, _ = walk(graph, ws("A"), Direction.BOTH, 10_000)
    assert nodes == {
        ws("A"),
        tf("TA"),
        st("OutA"),
        ds("OutA", "data"),
        ws("B"),
        tf("TB"),
        st("OutB"),
        ds("OutB", "data"),
    }


# --- consumers --------------------------------------------------------------------------------


def test_consumers_by_degree() -> None:
    model = chained_model()
    assert consumers(model, "Customers") == {
        "Reporting": 1,
        "Marketing": 1,
        "Orders": 1,
        "Downstream": 2,
        "Far": 3,
    }
    assert consumers(model, "Masked") == {"Downstream": 1, "Far": 2}
    assert consumers(model, "Further") == {"Far": 1}
    assert consumers(model, "Unused") == {}


def test_consumers_through_a_cycle_terminate_with_the_shortest_degree() -> None:
    model = cycle_model()
    assert consumers(model, "OutA") == {"B": 1, "A": 2}
    assert consumers(model, "OutC") == {"D": 1, "E": 2, "C": 3}


def test_a_direct_sink_wins_over_a_path_through_transformers() -> None:
    documents = copied(base())
    documents["downstream"] = workspace(
        "Downstream", [sink("Masked", "masked"), sink("Customers", "orders")]
    )
    assert consumers(load(documents), "Customers")["Downstream"] == 1


# --- transformer cycles -----------------------------------------------------------------------


def test_transformer_cycles_finds_two_and_three_cycles_and_ignores_self_loops() -> None:
    model = cycle_model()
    assert transformer_cycles(model) == [["TA", "TB"], ["TC", "TD", "TE"]]
    assert transformer_edges(model)["SelfLoop"] == {"SelfLoop"}
    assert transformer_edges(model)["TA"] == {"TB"}
    assert transformer_edges(model)["TC"] == {"TD"}


def test_no_transformer_cycles_in_a_chain() -> None:
    model = chained_model()
    assert transformer_cycles(model) == []
    assert transformer_edges(model)["MaskCustomers"] == {"Refine"}
    assert transformer_cycles(load(looped_documents())) == []


def test_a_cycle_with_a_tail_reports_only_the_cycle() -> None:
    documents = copied(base())
    ring = {"A": "B", "B": "A", "C": "A"}  # C hangs off the A ⇄ B cycle
    for name, upstream in ring.items():
        documents[f"ring-{name}"] = workspace(
            name,
            [sink(f"Out{upstream}", "data")],
            transformer(f"T{name}", f"Out{name}", table("data")),
        )
    assert transformer_cycles(load(documents, strict=False)) == [["TA", "TB"]]


# --- sinks ------------------------------------------------------------------------------------


def test_sinks_by_dataset() -> None:
    index = sinks_by_dataset(load(base()))
    assert dict(index) == {
        ("Customers", "customers"): {"Reporting", "Marketing"},
        ("Customers", "orders"): {"Orders"},
        ("Masked", "masked"): {"Downstream"},
    }
