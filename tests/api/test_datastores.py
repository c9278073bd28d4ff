"""GET /datastores with every filter and paging, one datastore, one dataset."""

from __future__ import annotations

import httpx

from app.catalog.store import StoredVersion
from tests.api.pages import names

BASE = "/api/v1"


async def _all_names(api: httpx.AsyncClient, query: str, limit: int = 7) -> list[str]:
    return await names(api, f"{BASE}/datastores", query, limit)


async def test_paging_walks_every_datastore_once_in_order(
    api: httpx.AsyncClient, acme: StoredVersion
) -> None:
    found = await _all_names(api, "q=")
    assert len(found) == 24 and found == sorted(found) and len(set(found)) == 24


async def test_filters(api: httpx.AsyncClient, acme: StoredVersion) -> None:
    assert await _all_names(api, "zone=APAC") == [
        "ApacClients",
        "ApacOrders",
        "CorporateActions",
        "Settlements",
    ]
    assert await _all_names(api, "zone=USA&team=Risk") == [
        "MarketData",
        "Positions",
        "RiskExposures",
    ]
    assert await _all_names(api, "productionStatus=not-production") == ["Experiments"]
    assert await _all_names(api, "deprecated=true") == []
    mnpi = await _all_names(api, "classification=mnpi")
    assert "ApacOrders" in mnpi and "Customers" not in mnpi
    assert await _all_names(api, "q=segment") == [
        "CustomerSegments"
    ]  # name or description, any case


async def test_one_datastore_with_datasets_and_columns(
    api: httpx.AsyncClient, acme: StoredVersion
) -> None:
    response = await api.get(f"{BASE}/datastores/CustomerSegments")
    assert response.status_code == 200
    body = response.json()
    assert (body["producer"], body["productionStatus"], body["zone"]) == (
        "segment_customers",
        "production",
        "EU",
    )
    segments = next(d for d in body["datasets"] if d["name"] == "cardholder_segments")
    assert [c["name"] for c in segments["columns"]][:2] == ["cardholder_id", "segment_code"]
    assert segments["columns"][0]["primaryKey"] and segments["primaryKey"] == ["cardholder_id"]


async def test_one_dataset_and_not_found(api: httpx.AsyncClient, acme: StoredVersion) -> None:
    response = await api.get(f"{BASE}/datastores/Customers/datasets/customers")
    assert response.status_code == 200 and response.json()["name"] == "customers"
    missing = await api.get(f"{BASE}/datastores/Customers/datasets/nope")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert "no dataset 'nope'" in missing.json()["detail"]
    store = await api.get(f"{BASE}/datastores/Nope")
    assert store.status_code == 404 and store.json()["type"] == "not-found"


async def test_bad_parameters_are_named(api: httpx.AsyncClient, acme: StoredVersion) -> None:
    bad_limit = await api.get(f"{BASE}/datastores?limit=0")
    assert bad_limit.status_code == 422
    assert bad_limit.json()["errors"][0]["parameter"] == "limit"
    bad_status = await api.get(f"{BASE}/datastores?productionStatus=maybe")
    assert bad_status.json()["errors"][0]["parameter"] == "productionStatus"
    bad_cursor = await api.get(f"{BASE}/datastores?cursor=%%%")
    assert bad_cursor.status_code == 422 and bad_cursor.json()["errors"][0]["parameter"] == "cursor"
