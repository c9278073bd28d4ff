"""GET /datastores/{name}/consumers and GET /lineage on examples/acme, against the model graph."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import StoredVersion, store_model
from app.ecosystem.graph import Direction, build_graph, consumers, walk
from app.ecosystem.loader import load_directory
from tests.conftest import EXAMPLES
from tests.ecosystem.diffbase import base, load

BASE = "/api/v1"


async def _consumers(api: httpx.AsyncClient, store: str, query: str = "") -> list[dict[str, Any]]:
    """Every consumer of a datastore, walking the pages."""
    items: list[dict[str, Any]] = []
    cursor = ""
    for _ in range(100):
        response = await api.get(f"{BASE}/datastores/{store}/consumers?limit=2{query}{cursor}")
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        if response.json()["nextCursor"] is None:
            return items
        cursor = f"&cursor={response.json()['nextCursor']}"
    raise AssertionError("paging did not end")


async def _lineage(api: httpx.AsyncClient, query: str) -> dict[str, Any]:
    response = await api.get(f"{BASE}/lineage?{query}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _ids(body: dict[str, Any]) -> set[str]:
    return {node["id"] for node in body["nodes"]}


def _degrees(items: list[dict[str, Any]]) -> dict[str, int]:
    return {item["workspace"]: item["degree"] for item in items}


async def test_consumers_through_the_two_step_chain(
    api: httpx.AsyncClient, acme: StoredVersion
) -> None:
    items = await _consumers(api, "Positions")
    assert items == [
        {
            "workspace": "RiskAnalytics",
            "degree": 1,
            "zone": "USA",
            "team": "Risk",
            "via": [],
            "datastore": "Positions",
            "datasets": ["margin_calls", "position_limits", "positions"],
        },
        {
            "workspace": "CapitalReporting",
            "degree": 2,
            "zone": "USA",
            "team": "Finance",
            "via": ["compute_exposures"],
            "datastore": "RiskExposures",
            "datasets": ["counterparty_exposures", "var_results"],
        },
    ]


async def test_a_transformer_reading_its_own_output_does_not_loop(
    api: httpx.AsyncClient, acme: StoredVersion
) -> None:
    segments = await _consumers(api, "CustomerSegments")
    assert _degrees(segments) == {"CampaignPerformance": 1, "CustomerSegmentation": 1}
    cardholders = {item["workspace"]: item for item in await _consumers(api, "Cardholders")}
    assert _degrees(list(cardholders.values())) == {
        "CustomerSegmentation": 1,
        "FraudMonitoring": 1,
        "CampaignPerformance": 2,
    }
    assert cardholders["CampaignPerformance"]["via"] == ["segment_customers"]
    assert cardholders["CampaignPerformance"]["datastore"] == "CustomerSegments"
    loop = await _lineage(api, "node=transformer:segment_customers&direction=both&depth=10")
    assert {"datastore:CustomerSegments", "workspace:CampaignPerformance"} <= _ids(loop)
    writes = {"source": "transformer:segment_customers", "target": "datastore:CustomerSegments"}
    assert {**writes, "relation": "writes"} in loop["edges"]


async def test_consumers_equal_the_model_graph(api: httpx.AsyncClient, acme: StoredVersion) -> None:
    model = load_directory(EXAMPLES / "acme")
    for store in sorted(model.datastores):
        assert _degrees(await _consumers(api, store)) == consumers(model, store), store


async def test_consumers_not_found_empty_and_bad_cursor(
    api: httpx.AsyncClient, acme: StoredVersion
) -> None:
    missing = await api.get(f"{BASE}/datastores/Nope/consumers")
    assert missing.status_code == 404 and missing.json()["type"] == "not-found"
    assert "'Nope'" in missing.json()["detail"]
    assert await _consumers(api, "CapitalReports") == []  # nobody sinks it
    cursor = await api.get(f"{BASE}/datastores/Positions/consumers?cursor=ImEi")  # "a"
    assert cursor.status_code == 422 and cursor.json()["errors"][0]["parameter"] == "cursor"


async def test_lineage_depth_one_is_the_neighbourhood(
    api: httpx.AsyncClient, acme: StoredVersion
) -> None:
    node = "node=transformer:compute_exposures"
    down = await _lineage(api, f"{node}&direction=downstream")
    assert _ids(down) == {"transformer:compute_exposures", "datastore:RiskExposures"}
    assert down["edges"] == [
        {
            "source": "transformer:compute_exposures",
            "target": "datastore:RiskExposures",
            "relation": "writes",
        }
    ]
    up = await _lineage(api, f"{node}&direction=upstream&depth=1")
    assert _ids(up) == {"transformer:compute_exposures", "workspace:RiskAnalytics"}
    both = await _lineage(api, node)  # both directions and depth 1 by default
    assert _ids(both) == _ids(down) | _ids(up)
    assert (both["direction"], both["depth"], both["depthCapped"]) == ("both", 1, False)
    store = await _lineage(api, "node=datastore:RiskExposures&direction=downstream")
    assert _ids(store) == {
        "datastore:RiskExposures",
        "dataset:RiskExposures.counterparty_exposures",
        "dataset:RiskExposures.var_results",
    }
    assert {n["kind"] for n in store["nodes"]} == {"datastore", "dataset"}


async def test_lineage_depth_three_reaches_along_the_chain(
    api: httpx.AsyncClient, acme: StoredVersion
) -> None:
    node = "node=transformer:compute_exposures&depth=3"
    down = await _lineage(api, f"{node}&direction=downstream")
    assert "workspace:CapitalReporting" in _ids(down)
    assert "transformer:build_capital_report" not in _ids(down)  # that is hop 4
    up = await _lineage(api, f"{node}&direction=upstream")
    assert {"datastore:Positions", "dataset:Positions.positions"} <= _ids(up)
    assert "transformer:build_capital_report" not in _ids(up)
    far = await _lineage(api, "node=datastore:Positions&direction=downstream&depth=9")
    assert {"transformer:build_capital_report", "datastore:CapitalReports"} <= _ids(far)
    back = await _lineage(
        api, "node=dataset:CapitalReports.rwa_by_entity&direction=upstream&depth=9"
    )
    assert "datastore:Positions" in _ids(back)


async def test_lineage_equals_the_model_graph(api: httpx.AsyncClient, acme: StoredVersion) -> None:
    graph = build_graph(load_directory(EXAMPLES / "acme"))
    starts = ["datastore:Positions", "dataset:Cardholders.cards", "workspace:CapitalReporting"]
    starts += ["transformer:segment_customers", "datastore:ecoplane_model"]
    for start in starts:
        for direction in Direction:
            for depth in (1, 2, 5):
                query = f"node={start}&direction={direction.value}&depth={depth}"
                body = await _lineage(api, query)
                nodes, edges = walk(graph, start, direction, depth)
                assert _ids(body) == nodes, query
                found = {(e["source"], e["target"], e["relation"]) for e in body["edges"]}
                assert found == {(e.source, e.target, e.relation) for e in edges}, query


async def test_a_depth_over_the_cap_is_clamped(api: httpx.AsyncClient, acme: StoredVersion) -> None:
    capped = await _lineage(api, "node=datastore:Positions&direction=downstream&depth=1000")
    at_cap = await _lineage(api, "node=datastore:Positions&direction=downstream&depth=10")
    assert (capped["depth"], capped["depthCapped"], at_cap["depthCapped"]) == (10, True, False)
    assert capped["nodes"] == at_cap["nodes"] and capped["edges"] == at_cap["edges"]


async def test_a_cycle_through_two_transformers_ends(
    api: httpx.AsyncClient, acme: StoredVersion, engine: AsyncEngine
) -> None:
    # a stored model never has one (validation rejects it), so draw it into the tables:
    # RiskAnalytics sinks CapitalReports, closing compute_exposures -> build_capital_report -> ...
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO model_sinks (version_id, workspace, dataset_group, ordinal, datastore,"
                " dataset, allow_deprecated) SELECT :v, 'RiskAnalytics', min(dataset_group), 99,"
                " 'CapitalReports', 'rwa_by_entity', false FROM model_sinks"
                " WHERE version_id = :v AND workspace = 'RiskAnalytics'"
            ),
            {"v": acme.id},
        )
    exposures = await _consumers(api, "RiskExposures")
    assert _degrees(exposures) == {"CapitalReporting": 1, "RiskAnalytics": 2}
    assert exposures[1]["via"] == ["build_capital_report"]
    ring = await _lineage(api, "node=workspace:RiskAnalytics&direction=both&depth=50")
    assert {"workspace:CapitalReporting", "datastore:CapitalReports"} <= _ids(ring)
    assert ring["depthCapped"] is True


async def test_an_older_version_by_commit(
    api: httpx.AsyncClient, acme: StoredVersion, engine: AsyncEngine
) -> None:
    newer = await store_model(engine, load(base()), source="base", commit_sha="e5f6a7b8")
    assert newer.id != acme.id
    active = await _consumers(api, "Customers")
    assert _degrees(active) == {"Marketing": 1, "Orders": 1, "Reporting": 1, "Downstream": 2}
    older = await _consumers(api, "Positions", "&version=a1b2c3d4")
    assert _degrees(older) == {"RiskAnalytics": 1, "CapitalReporting": 2}
    gone = await api.get(f"{BASE}/datastores/Positions/consumers")
    assert gone.status_code == 404
    node = "node=transformer:compute_exposures&direction=downstream"
    assert (await api.get(f"{BASE}/lineage?{node}")).status_code == 404
    assert _ids(await _lineage(api, f"{node}&version=a1b2c3d4")) == {
        "transformer:compute_exposures",
        "datastore:RiskExposures",
    }


async def test_lineage_bad_and_unknown_nodes(api: httpx.AsyncClient, acme: StoredVersion) -> None:
    for node in (
        "Positions",
        "datastore:",
        "table:Positions",
        "dataset:Positions",
        "dataset:A.b.c",
    ):
        response = await api.get(f"{BASE}/lineage?node={node}")
        assert response.status_code == 422, node
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["parameter"] == "node", node
    for node in ("datastore:Nope", "dataset:Positions.nope", "workspace:Nope", "transformer:Nope"):
        response = await api.get(f"{BASE}/lineage?node={node}")
        assert response.status_code == 404 and response.json()["type"] == "not-found"
        assert repr(node) in response.json()["detail"]
    for query, parameter in (
        ("node=datastore:Positions&direction=sideways", "direction"),
        ("node=datastore:Positions&depth=0", "depth"),
        ("node=datastore:Positions&depth=two", "depth"),
        ("direction=both", "node"),
    ):
        response = await api.get(f"{BASE}/lineage?{query}")
        assert response.status_code == 422, query
        assert response.json()["errors"][0]["parameter"] == parameter, query
