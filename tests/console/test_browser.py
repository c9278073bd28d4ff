"""The console in real headless Chromium: every page renders without an error at 1280 and 390 px,
search forgives a typo, the lineage graph draws the walk's nodes. The screenshots of docs/console/
are written there only with ECOPLANE_SCREENSHOTS=1 (else into the test's own directory)."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from app.catalog.store import StoredVersion
from tests.api.conftest import TOKENS
from tests.console.browser import NARROW, SCREENSHOTS, WIDE, chromium, served_console, visiting

PAGES = {
    "overview": "/ui/",
    "datastore": "/ui/datastores/ApacClients",
    "dataset": "/ui/datastores/ApacClients/datasets/clients",
    "workspace": "/ui/workspaces/{workspace}",
    "transformer": "/ui/transformers/{transformer}",
    "zone": "/ui/zones/APAC",
    "team": "/ui/zones/APAC/teams/AsiaTrading",
    "lineage": "/ui/lineage?node=datastore:ApacClients&direction=both&depth=3",
    "versions": "/ui/versions",
    "diff": "/ui/diff?old={version}&new={version}",
    "runs": "/ui/runs",
    "security": "/ui/security",
    "search": "/ui/search?q=client",
}
SHOWN = ("overview", "datastore", "lineage", "runs", "search", "versions")


def _pages(base: str, version: int) -> dict[str, str]:
    some = httpx.get(f"{base}/api/v1/transformers", params={"limit": 1}).json()["items"][0]
    names = {"workspace": some["workspace"], "transformer": some["name"], "version": version}
    return {name: base + url.format(**names) for name, url in PAGES.items()}


def test_every_page_renders_without_errors_at_1280_and_390_px(
    prefix: str, database_url: str, acme: StoredVersion, tmp_path: Path
) -> None:
    # the docs' screenshots only when asked: a test run must not change tracked files
    shots = SCREENSHOTS if os.environ.get("ECOPLANE_SCREENSHOTS") == "1" else tmp_path / "shots"
    shots.mkdir(parents=True, exist_ok=True)
    with served_console(database_url, tmp_path, prefix) as base, chromium() as browser:
        pages = _pages(base, acme.id)
        for viewport in (WIDE, NARROW):
            with visiting(browser, viewport) as visit:
                for name, url in pages.items():
                    page = visit.open(url)
                    assert page.locator("main h1").count() == 1, (name, page.content()[:500])
                    if name == "lineage":
                        page.wait_for_selector("#graph[data-drawn]")
                    assert not visit.overflows(), f"{name} is wider than {viewport['width']} px"
                    if viewport is WIDE and name in SHOWN:
                        page.screenshot(path=shots / f"{name}.png")
                assert visit.problems == []
    for name in SHOWN:
        size = (shots / f"{name}.png").stat().st_size
        assert 5_000 < size < 200_000, (name, size)


def test_search_forgives_a_typo_and_leads_to_the_column(
    prefix: str, database_url: str, acme: StoredVersion, tmp_path: Path
) -> None:
    with (
        served_console(database_url, tmp_path, prefix) as base,
        chromium() as browser,
        visiting(browser, WIDE) as visit,
    ):
        page = visit.open(f"{base}/ui/")
        page.fill("#q", "nationl_idd")
        page.keyboard.press("Enter")
        page.wait_for_url("**/ui/search?q=nationl_idd")
        first = page.locator("ol.hits li").first
        assert first.locator(".kind").inner_text() == "column"
        first.get_by_role("link", name="national_id").click()
        page.wait_for_url("**/ui/datastores/ApacClients/datasets/clients#column-national_id")
        row = page.locator("#column-national_id")
        assert "pc3" in row.inner_text()
        assert visit.problems == []


def test_lineage_draws_the_walks_nodes_and_lists_them_as_links(
    prefix: str, database_url: str, acme: StoredVersion, tmp_path: Path
) -> None:
    with served_console(database_url, tmp_path, prefix) as base, chromium() as browser:
        walk = httpx.get(
            f"{base}/api/v1/lineage", params={"node": "datastore:ApacClients", "depth": 3}
        ).json()
        expected = {node["id"] for node in walk["nodes"]}
        assert len(expected) >= 3
        with visiting(browser, WIDE) as visit:
            page = visit.open(f"{base}/ui/lineage?node=datastore:ApacClients&depth=3")
            page.wait_for_selector("#graph[data-drawn]")
            drawn = page.evaluate("window.ecoplaneGraph.nodes().map(n => n.id())")
            assert set(drawn) == expected
            edges = page.evaluate("window.ecoplaneGraph.edges().length")
            assert edges == len(walk["edges"])
            listed = page.locator("ul.nodes li")
            assert listed.count() == len(expected)
            # keyboard: the list's links reach the pages; recentre on the workspace downstream
            page.get_by_role("link", name="lineage around ApacTradingDesk").focus()
            page.keyboard.press("Enter")
            page.wait_for_url("**/ui/lineage?node=workspace*")
            page.wait_for_selector("#graph[data-drawn]")
            assert "workspace:ApacTradingDesk" in page.evaluate(
                "window.ecoplaneGraph.nodes().map(n => n.id())"
            )
            assert visit.problems == []


def test_a_sync_started_from_the_console_reaches_succeeded_live(
    prefix: str, database_url: str, acme: StoredVersion, tmp_path: Path
) -> None:
    with (
        served_console(database_url, tmp_path, prefix) as base,
        chromium() as browser,
        visiting(browser, WIDE) as visit,
    ):
        page = visit.open(f"{base}/ui/security")
        page.get_by_role("link", name="Sign in").click()
        page.fill("input[name=token]", TOKENS["operator"])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/ui/security")
        page.get_by_role("button", name="Sync now").click()
        page.wait_for_url("**/ui/runs/*")
        run_id = page.url.rsplit("/", 1)[1]
        visit.open(f"{base}/ui/runs?kind=security-sync")
        row = page.locator("#run-rows tr", has=page.get_by_role("link", name=f"#{run_id}"))
        # the table refreshes itself (htmx, every 3 s): no reload until the run has ended
        row.locator(".state-succeeded").wait_for(timeout=90_000)
        assert "by operator" in visit.open(f"{base}/ui/runs/{run_id}").inner_text("main")
        assert visit.problems == []


# the same on any Postgres server: make test-pg leaves it to make test
pytestmark = pytest.mark.server_neutral
