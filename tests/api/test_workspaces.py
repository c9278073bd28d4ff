"""GET /workspaces, /workspaces/{name}, /transformers and /transformers/{name}, on examples/acme."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.schemas.workspaces import TransformerOut
from app.catalog.store import StoredVersion, store_model
from app.ecosystem.loader import load_texts
from tests.api.pages import assert_names_parameter, names, walk
from tests.ecosystem.modeltext import BASE as SMALL_MODEL

BASE = "/api/v1"
ACME_WORKSPACES = [
    "ApacTradingDesk",
    "CampaignPerformance",
    "CapitalReporting",
    "CustomerSegmentation",
    "ExperimentLab",
    "FinanceReporting",
    "FraudMonitoring",
    "GovernanceDashboard",
    "RiskAnalytics",
    "SettlementMonitoring",
    "TradeSurveillance",
    "ecoplane_model_export",
]
ACME_TRANSFORMERS = [
    "build_capital_report",
    "compute_exposures",
    "compute_revenue",
    "externalize_model",
    "mask_customers",
    "segment_customers",
]


@pytest.fixture
async def newer(engine: AsyncEngine, acme: StoredVersion) -> StoredVersion:
    """A small, different model stored after acme: it is active, acme is superseded."""
    return await store_model(engine, load_texts(dict(SMALL_MODEL)), source="small")


async def test_workspaces_page_to_the_last_page(
    api: httpx.AsyncClient, acme: StoredVersion
) -> None:
    for limit in (1, 5, 50):
        assert await names(api, f"{BASE}/workspaces", limit=limit) == ACME_WORKSPACES
    items = {w["name"]: w for w in await walk(api, f"{BASE}/workspaces")}
    segmentation = items["CustomerSegmentation"]
    assert (segmentation["zone"], segmentation["team"]) == ("EU", "Analytics")
    assert segmentation["transformer"] == "segment_customers"
    assert (segmentation["datasetGroups"], segmentation["sinks"]) == (2, 6)
    assert segmentation["labels"] == {"domain": "customer"} and segmentation["priority"] == "medium"
    assert items["FraudMonitoring"]["transformer"] is None
    assert items["ecoplane_model_export"]["builtin"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "zone=EU",
            ["CampaignPerformance", "CustomerSegmentation", "ExperimentLab", "FraudMonitoring"],
        ),
        ("zone=EU&team=Analytics", ["CustomerSegmentation", "ExperimentLab"]),
        ("team=Finance", ["CapitalReporting", "FinanceReporting"]),
        ("productionStatus=not-production", ["ExperimentLab"]),
        (
            "priority=critical",
            ["CapitalReporting", "FraudMonitoring", "RiskAnalytics", "TradeSurveillance"],
        ),
        ("priority=unknown", []),
        ("q=SEGMENT", ["CampaignPerformance", "CustomerSegmentation"]),  # name or description
        ("zone=APAC&priority=high&q=desk", ["ApacTradingDesk"]),
    ],
)
async def test_workspace_filters(
    api: httpx.AsyncClient, acme: StoredVersion, query: str, expected: list[str]
) -> None:
    assert await names(api, f"{BASE}/workspaces", query, limit=2) == expected


async def test_one_workspace_with_groups_sinks_and_transformer(
    api: httpx.AsyncClient, acme: StoredVersion
) -> None:
    response = await api.get(f"{BASE}/workspaces/CustomerSegmentation")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["zone"], body["team"], body["transformer"]) == (
        "EU",
        "Analytics",
        "segment_customers",
    )
    behaviour, previous = body["datasetGroups"]
    assert behaviour["platform"] == {"name": "EuWarehouseHistory", "status": "provisioned"}
    assert behaviour["requirements"] is None
    cardholders = behaviour["sinks"][0]
    assert (cardholders["datastore"], cardholders["dataset"]) == ("Cardholders", "cardholders")
    assert "date_of_birth" not in cardholders["columns"]  # EU denies pc3
    assert cardholders["columns"][0] == "cardholder_id" and not cardholders["allowDeprecated"]
    assert [s["dataset"] for s in behaviour["sinks"]][1:] == [
        "cards",
        "card_transactions",
        "app_events",
    ]
    assert previous["name"] == "previous_run"
    assert {s["datastore"] for s in previous["sinks"]} == {"CustomerSegments"}
    assert previous["sinks"][0]["columns"] is None  # every column


async def test_a_dataset_group_chosen_by_requirements(
    api: httpx.AsyncClient, acme: StoredVersion
) -> None:
    body = (await api.get(f"{BASE}/workspaces/FraudMonitoring")).json()
    realtime = next(g for g in body["datasetGroups"] if g["name"] == "realtime")
    assert realtime["platform"] is None
    assert realtime["requirements"] == {"retention": "live-only", "latency": "seconds"}
    assert [s["dataset"] for s in realtime["sinks"]] == ["card_transactions", "authorizations"]
    assert body["transformer"] is None


async def test_transformers_page_to_the_last_page(
    api: httpx.AsyncClient, acme: StoredVersion
) -> None:
    for limit in (1, 2, 50):
        assert await names(api, f"{BASE}/transformers", limit=limit) == ACME_TRANSFORMERS
    items = {t["name"]: t for t in await walk(api, f"{BASE}/transformers")}
    segment = items["segment_customers"]
    assert (segment["workspace"], segment["zone"], segment["team"]) == (
        "CustomerSegmentation",
        "EU",
        "Analytics",
    )
    assert (segment["triggerKind"], segment["triggerCron"]) == ("cron", "0 4 * * 0")
    assert segment["outputDatastore"] == "CustomerSegments" and segment["codeKind"] == "python"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "zone=USA",
            ["build_capital_report", "compute_exposures", "compute_revenue", "mask_customers"],
        ),
        ("zone=USA&team=Finance", ["build_capital_report", "compute_revenue"]),
        ("team=Analytics", ["segment_customers"]),
        (
            "triggerKind=cron",
            ["compute_exposures", "compute_revenue", "mask_customers", "segment_customers"],
        ),
        ("triggerKind=on-input-change", ["build_capital_report"]),
        ("triggerKind=on-model-change", ["externalize_model"]),
        ("triggerKind=external", []),
        ("zone=EU&triggerKind=cron", ["segment_customers"]),
    ],
)
async def test_transformer_filters(
    api: httpx.AsyncClient, acme: StoredVersion, query: str, expected: list[str]
) -> None:
    assert await names(api, f"{BASE}/transformers", query, limit=2) == expected


async def test_one_transformer_of_each_code_kind(
    api: httpx.AsyncClient, acme: StoredVersion, newer: StoredVersion
) -> None:
    response = await api.get(f"{BASE}/transformers/MaskCustomers")  # the small model's
    assert response.status_code == 200, response.text
    mask = response.json()
    assert (mask["codeKind"], mask["image"]) == ("container", "ghcr.io/acme/mask:1.2")
    assert (mask["module"], mask["builtinCode"]) == (None, None)
    assert "lastRun" in mask and mask["lastRun"] is None
    # every field of the declared answer, and no other
    assert TransformerOut.model_validate(mask).model_dump(by_alias=True, mode="json") == mask
    segment = (await api.get(f"{BASE}/transformers/segment_customers?version={acme.id}")).json()
    assert (segment["codeKind"], segment["image"]) == ("python", None)
    assert segment["module"] == "acme_transformers.segments"
    assert segment["resources"] == {"cpu": "1", "memory": "2Gi"}
    assert (segment["timeoutSeconds"], segment["retries"]) == (7200, 0)
    revenue = (await api.get(f"{BASE}/transformers/compute_revenue?version={acme.id}")).json()
    assert (revenue["codeKind"], revenue["module"]) == ("python", "acme_transformers.revenue")
    assert revenue["resources"] == {"cpu": "500m", "memory": "1Gi"}
    builtin = (await api.get(f"{BASE}/transformers/externalize_model")).json()
    assert (builtin["codeKind"], builtin["builtinCode"], builtin["builtin"]) == (
        "builtin",
        "externalize-model",
        True,
    )
    assert builtin["resources"] == {"cpu": None, "memory": None}
    assert (builtin["zone"], builtin["outputDatastore"]) == ("ecoplane", "ecoplane_model")


async def test_not_found_names_what_is_missing(api: httpx.AsyncClient, acme: StoredVersion) -> None:
    workspace = await api.get(f"{BASE}/workspaces/customersegmentation")
    assert workspace.status_code == 404
    assert workspace.headers["content-type"] == "application/problem+json"
    assert workspace.json()["detail"] == (
        f"workspace 'customersegmentation' does not exist in model version {acme.id}"
    )
    transformer = await api.get(f"{BASE}/transformers/Nope")
    assert transformer.status_code == 404 and transformer.json()["type"] == "not-found"
    assert transformer.json()["detail"] == (
        f"transformer 'Nope' does not exist in model version {acme.id}"
    )
    version = await api.get(f"{BASE}/transformers?version=99999")
    assert version.status_code == 404
    assert version.json()["detail"] == "model version '99999' does not exist"


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/workspaces?limit=0", "limit"),
        ("/workspaces?cursor=%%%", "cursor"),
        ("/workspaces?cursor=WyJFVSIsIkFuYWx5dGljcyJd", "cursor"),  # a team cursor
        ("/workspaces?productionStatus=maybe", "productionStatus"),
        ("/workspaces?priority=urgent", "priority"),
        ("/workspaces?q=" + "q" * 201, "q"),
        ("/workspaces?zone=" + "Z" * 201, "zone"),
        ("/workspaces?team=" + "T" * 201, "team"),
        ("/workspaces/" + "W" * 201, "name"),
        ("/transformers?limit=501", "limit"),
        ("/transformers?cursor=%%%", "cursor"),
        ("/transformers?triggerKind=hourly", "triggerKind"),
        ("/transformers?zone=" + "Z" * 201, "zone"),
        ("/transformers?team=" + "T" * 201, "team"),
        ("/transformers/" + "t" * 201, "name"),
    ],
)
async def test_bad_parameters_are_named(
    api: httpx.AsyncClient, acme: StoredVersion, path: str, parameter: str
) -> None:
    await assert_names_parameter(api, f"{BASE}{path}", parameter)


async def test_an_older_version_by_id_and_by_commit(
    api: httpx.AsyncClient, acme: StoredVersion, newer: StoredVersion
) -> None:
    assert await names(api, f"{BASE}/workspaces") == ["CustomerAnalytics", "ecoplane_model_export"]
    assert await names(api, f"{BASE}/transformers") == ["MaskCustomers", "externalize_model"]
    gone = await api.get(f"{BASE}/workspaces/CustomerSegmentation")
    assert gone.json()["detail"] == (
        f"workspace 'CustomerSegmentation' does not exist in model version {newer.id}"
    )
    for version in (str(acme.id), "a1b2c3d4"):
        query = f"version={version}"
        assert await names(api, f"{BASE}/workspaces", query, limit=5) == ACME_WORKSPACES
        assert await names(api, f"{BASE}/transformers", query, limit=4) == ACME_TRANSFORMERS
        workspace = await api.get(f"{BASE}/workspaces/CustomerSegmentation?{query}")
        assert workspace.json()["transformer"] == "segment_customers"
        transformer = await api.get(f"{BASE}/transformers/segment_customers?{query}")
        assert transformer.json()["outputDatastore"] == "CustomerSegments"
        assert (await api.get(f"{BASE}/transformers/MaskCustomers?{query}")).status_code == 404
    mask = (await api.get(f"{BASE}/transformers/MaskCustomers")).json()
    assert (mask["workspace"], mask["zone"], mask["team"]) == (
        "CustomerAnalytics",
        "USA",
        "Analytics",
    )
