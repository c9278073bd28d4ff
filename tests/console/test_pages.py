"""Each console page answers HTML with what it is for, read from the active version."""

from __future__ import annotations

import httpx

from app.catalog.store import StoredVersion
from app.console.lineage_pages import hops
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
