"""GET /zones, /zones/{zone}, /teams and /zones/{zone}/teams/{team}, on examples/acme."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import StoredVersion, store_model
from app.ecosystem.loader import load_texts
from tests.api.pages import assert_names_parameter, names, walk
from tests.ecosystem.modeltext import BASE as SMALL_MODEL

BASE = "/api/v1"
ACME_TEAMS = [
    ("APAC", "AsiaTrading"),
    ("APAC", "Operations"),
    ("EU", "Analytics"),
    ("EU", "Marketing"),
    ("EU", "Payments"),
    ("USA", "Compliance"),
    ("USA", "DataPlatform"),
    ("USA", "Finance"),
    ("USA", "FrontOffice"),
    ("USA", "Risk"),
    ("ecoplane", "platform"),
]


@pytest.fixture
async def newer(engine: AsyncEngine, acme: StoredVersion) -> StoredVersion:
    """A small, different model stored after acme: it is active, acme is superseded."""
    return await store_model(engine, load_texts(dict(SMALL_MODEL)), source="small")


async def test_zones_with_policies_owners_and_team_names(
    api: httpx.AsyncClient, acme: StoredVersion
) -> None:
    zones = {zone["name"]: zone for zone in await walk(api, f"{BASE}/zones")}
    assert list(zones) == ["APAC", "EU", "USA", "ecoplane"]
    apac, eu = zones["APAC"], zones["EU"]
    assert apac["policies"]["consumers"]["denyClassifications"] == ["pc3"]
    assert apac["owners"] == ["github:@acme/apac-data-governance", "github:kenji-tanaka"]
    assert apac["teams"] == ["AsiaTrading", "Operations"]
    assert eu["policies"]["consumers"]["denyClassifications"] == ["pc3", "mnpi"]
    assert eu["policies"]["storage"] == {
        "vendors": ["Azure", "AWS"],
        "locations": ["Azure:westeurope", "Azure:northeurope", "AWS:eu-west-1"],
    }
    assert eu["teams"] == ["Analytics", "Marketing", "Payments"] and not eu["builtin"]
    assert zones["USA"]["policies"]["consumers"]["denyClassifications"] == []
    assert zones["ecoplane"]["builtin"] and zones["ecoplane"]["teams"] == ["platform"]


async def test_zones_page_to_the_last_page(api: httpx.AsyncClient, acme: StoredVersion) -> None:
    first = (await api.get(f"{BASE}/zones?limit=3")).json()
    assert [z["name"] for z in first["items"]] == ["APAC", "EU", "USA"] and first["nextCursor"]
    last = (await api.get(f"{BASE}/zones?limit=3&cursor={first['nextCursor']}")).json()
    assert [z["name"] for z in last["items"]] == ["ecoplane"] and last["nextCursor"] is None
    assert await names(api, f"{BASE}/zones", limit=1) == ["APAC", "EU", "USA", "ecoplane"]


async def test_one_zone_with_its_teams(api: httpx.AsyncClient, acme: StoredVersion) -> None:
    response = await api.get(f"{BASE}/zones/APAC")
    assert response.status_code == 200, response.text
    zone = response.json()
    assert zone["policies"]["storage"]["vendors"] == ["AWS", "AcmeOnPrem"]
    assert "AcmeOnPrem:singapore-sg3" in zone["policies"]["storage"]["locations"]
    operations = zone["teams"][1]
    assert operations == {
        "name": "Operations",
        "description": "APAC settlement, custody and corporate actions",
        "owners": ["github:@acme/apac-ops-tech", "github:hiroshi-sato"],
        "builtin": False,
    }


async def test_teams_by_zone_and_name_to_the_last_page(
    api: httpx.AsyncClient, acme: StoredVersion
) -> None:
    for limit in (1, 4, 50):
        teams = await walk(api, f"{BASE}/teams", limit=limit)
        assert [(t["zone"], t["name"]) for t in teams] == ACME_TEAMS
    analytics = next(t for t in teams if (t["zone"], t["name"]) == ("EU", "Analytics"))
    assert (analytics["datastores"], analytics["workspaces"]) == (3, 2)
    assert analytics["owners"] == ["github:@acme/eu-analytics", "github:mateo-rossi"]


async def test_teams_of_one_zone(api: httpx.AsyncClient, acme: StoredVersion) -> None:
    assert await names(api, f"{BASE}/teams", "zone=EU", limit=2) == [
        "Analytics",
        "Marketing",
        "Payments",
    ]
    assert await names(api, f"{BASE}/teams", "zone=Nowhere") == []


async def test_one_team_with_its_datastores_and_workspaces(
    api: httpx.AsyncClient, acme: StoredVersion
) -> None:
    response = await api.get(f"{BASE}/zones/EU/teams/Analytics")
    assert response.status_code == 200, response.text
    team = response.json()
    assert (team["zone"], team["name"]) == ("EU", "Analytics")
    assert team["datastores"] == ["CustomerSegments", "Experiments", "ProductEvents"]
    assert team["workspaces"] == ["CustomerSegmentation", "ExperimentLab"]
    finance = (await api.get(f"{BASE}/zones/USA/teams/Finance")).json()
    assert finance["datastores"] == ["CapitalReports", "GeneralLedger", "RevenueReporting"]


async def test_not_found_names_what_is_missing(api: httpx.AsyncClient, acme: StoredVersion) -> None:
    zone = await api.get(f"{BASE}/zones/eu")  # names are case-sensitive
    assert zone.status_code == 404 and zone.headers["content-type"] == "application/problem+json"
    assert zone.json()["detail"] == f"zone 'eu' does not exist in model version {acme.id}"
    no_zone = await api.get(f"{BASE}/zones/Mars/teams/Analytics")
    assert no_zone.json()["detail"] == f"zone 'Mars' does not exist in model version {acme.id}"
    no_team = await api.get(f"{BASE}/zones/EU/teams/Risk")  # Risk is a team of USA
    assert no_team.status_code == 404 and no_team.json()["type"] == "not-found"
    assert no_team.json()["detail"] == f"zone 'EU' has no team 'Risk' in model version {acme.id}"


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/zones?limit=0", "limit"),
        ("/zones?limit=501", "limit"),
        ("/zones?cursor=%%%", "cursor"),
        ("/teams?cursor=IkVVIg", "cursor"),  # a cursor of a name list ("EU"), not of (zone, name)
        ("/teams?zone=" + "Z" * 201, "zone"),
        ("/zones/" + "Z" * 201, "zone"),
        ("/zones/EU/teams/" + "T" * 201, "team"),
        ("/zones?version=not-a-sha", "version"),
    ],
)
async def test_bad_parameters_are_named(
    api: httpx.AsyncClient, acme: StoredVersion, path: str, parameter: str
) -> None:
    await assert_names_parameter(api, f"{BASE}{path}", parameter)


async def test_an_older_version_by_id_and_by_commit(
    api: httpx.AsyncClient, acme: StoredVersion, newer: StoredVersion
) -> None:
    assert await names(api, f"{BASE}/zones") == ["USA", "ecoplane"]
    usa = (await api.get(f"{BASE}/zones/USA")).json()
    assert [t["name"] for t in usa["teams"]] == ["Analytics", "FrontOffice"]
    gone = await api.get(f"{BASE}/zones/EU")
    assert gone.json()["detail"] == f"zone 'EU' does not exist in model version {newer.id}"
    for version in (str(acme.id), "a1b2c3d4"):
        assert len(await names(api, f"{BASE}/zones", f"version={version}")) == 4
        eu = await api.get(f"{BASE}/zones/EU?version={version}")
        assert eu.status_code == 200 and eu.json()["teams"][0]["name"] == "Analytics"
        teams = await walk(api, f"{BASE}/teams", f"version={version}", limit=5)
        assert [(t["zone"], t["name"]) for t in teams] == ACME_TEAMS
        risk = await api.get(f"{BASE}/zones/USA/teams/Risk?version={version}")
        assert risk.json()["workspaces"] == ["RiskAnalytics"]
    assert (await api.get(f"{BASE}/zones/USA/teams/Risk")).status_code == 404
