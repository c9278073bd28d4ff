"""Each console page answers HTML with what it is for, read from the active version."""

from __future__ import annotations

import httpx
import pytest

from app.catalog.store import StoredVersion
from app.console import lineage_drawing
from app.console.lineage_drawing import drawing
from app.console.lineage_pages import hops
from app.console.links import entity_url
from tests.api.conftest import TOKENS

Console = tuple[httpx.AsyncClient, StoredVersion]
OPERATOR = {"authorization": f"Bearer {TOKENS['operator']}"}


async def test_root_sends_a_browser_to_the_console(console: Console) -> None:
    client, _ = console
    answer = await client.get("/")
    assert answer.status_code == 307
    assert answer.headers["location"] == "/ui/"


async def test_overview_names_the_active_version_and_counts(console: Console) -> None:
    client, stored = console
    answer = await client.get("/ui/")
    assert answer.status_code == 200
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert f"version {stored.id}</a>, commit <code>a1b2c3d4</code>" in answer.text
    assert "datastores</li>" in answer.text
    assert '<svg class="runs-chart"' in answer.text


async def test_datastore_page_lists_columns_keys_classifications_and_consumers(
    console: Console,
) -> None:
    client, _ = console
    page = (await client.get("/ui/datastores/ApacClients")).text
    assert '<tr id="column-national_id">' in page
    assert '<span class="tag">pc3</span>' in page
    assert '<span class="tag key">key</span>' in page
    assert "/ui/zones/APAC/teams/AsiaTrading" in page
    assert "Consumers (" in page


async def test_workspace_page_names_its_role_and_views(console: Console) -> None:
    client, _ = console
    page = (await client.get("/ui/workspaces/ApacTradingDesk")).text
    assert "Role <code>acme_ws_apactradingdesk_read</code>" in page
    assert "<code>ws_apactradingdesk.apacclients__clients</code>" in page
    assert '<a href="/ui/datastores/ApacClients">ApacClients</a>' in page  # a sink
    assert "Dataset group " in page


async def test_every_entity_page_answers(console: Console) -> None:
    client, stored = console
    transformer = (await client.get("/api/v1/transformers?limit=1")).json()["items"][0]
    run = (await client.post("/api/v1/security/runs", headers=OPERATOR)).json()
    for url in (
        f"/ui/transformers/{transformer['name']}",
        f"/ui/workspaces/{transformer['workspace']}",
        f"/ui/versions/{stored.id}",
        f"/ui/diff?old={stored.id}&new=a1b2c3d4",
        f"/ui/runs/{run['id']}",
        "/ui/runs/rows?kind=security-sync",
        "/ui/security/plan",
        "/ui/datastores/ApacClients/datasets/clients",
        "/ui/zones/APAC",
        "/ui/zones/APAC/teams/AsiaTrading",
        "/ui/versions",
        "/ui/runs",
        "/ui/security",
        "/ui/lineage?node=datastore:ApacClients&depth=2",
        "/ui/search?q=clients",
    ):
        answer = await client.get(url)
        assert answer.status_code == 200, (url, answer.text[:500])


async def test_an_unknown_datastore_is_a_page_saying_so(console: Console) -> None:
    client, _ = console
    answer = await client.get("/ui/datastores/Nope")
    assert answer.status_code == 404
    assert "datastore &#39;Nope&#39; does not exist" in answer.text


async def test_a_bad_lineage_parameter_names_it(console: Console) -> None:
    client, _ = console
    answer = await client.get("/ui/lineage?node=datastore:ApacClients&depth=zero")
    assert answer.status_code == 422
    assert "parameter <code>depth</code>" in answer.text


def test_hops_count_downstream_up_and_upstream_down() -> None:
    edges = [
        {"source": "a", "target": "start"}, {"source": "start", "target": "b"},
        {"source": "b", "target": "c"}, {"source": "z", "target": "a"},
    ]  # fmt: skip
    assert hops("start", edges) == {"start": 0, "b": 1, "c": 2, "a": -1, "z": -2}


async def test_a_large_graph_comes_drawn_with_every_node_linked_and_no_graph_library(
    console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = console
    url = "/ui/lineage?node=datastore:ApacClients&depth=3"
    small = (await client.get(url)).text
    assert "cytoscape.min.js" in small and 'id="graph-data"' in small and "<svg" not in small
    monkeypatch.setattr(lineage_drawing, "LARGE", 3)  # acme's walks are small: call this large
    answer = await client.get(url)
    walk = (
        await client.get("/api/v1/lineage", params={"node": "datastore:ApacClients", "depth": 3})
    ).json()
    svg = answer.text.split('<svg id="graph-drawn"')[1].split("</svg>")[0]
    assert "cytoscape" not in answer.text and 'id="graph-data"' not in answer.text
    for node in walk["nodes"]:
        assert f'<circle class="{node["kind"]}' in svg
        assert f'data-url="{entity_url(node["kind"], node["name"])}"/><text ' in svg, node
    lines = svg.split('class="edges" d="')[1].split('"')[0]
    assert lines.count("M") == len(walk["edges"]) > 0
    assert svg.count('class="datastore start"') == 1
    asked = (await client.get(url + "&draw=browser")).text  # the browser draws it when asked
    assert "cytoscape.min.js" in asked and "<svg" not in asked
    bad = await client.get(url + "&draw=paper")
    assert bad.status_code == 422 and "parameter <code>draw</code>" in bad.text


def test_a_drawing_gives_each_hop_its_columns_left_to_right() -> None:
    nodes = [{"id": "s", "hop": 0}] + [{"id": f"d{i}", "hop": 1} for i in range(30)]
    nodes += [{"id": "u", "hop": -1}]
    edges = [{"source": "s", "target": f"d{i}"} for i in range(30)] + [
        {"source": "u", "target": "s"}
    ]
    drawn = drawing({"start": "s", "nodes": nodes, "edges": edges})
    x = {n["id"]: n["x"] for n in drawn.nodes}
    assert x["u"] < x["s"] < min(x[f"d{i}"] for i in range(30))  # upstream left, downstream right
    assert len({x[f"d{i}"] for i in range(30)}) > 1  # 30 nodes of one hop: more than one column
    assert all(0 < n["x"] < drawn.width and 0 < n["y"] < drawn.height for n in drawn.nodes)
    assert len(drawn.edges) == 31
    first = drawn.edges[0]  # s -> d0 stops short of d0, at its rim, for the arrowhead
    assert first["x2"] < x["d0"]
