"""The dashboard role reads the records of the work but no secret column; every panel of
deploy/grafana/ecoplane-work.json and every run-health query of docs/dashboards.md runs as that
role on a week of work (tests/catalog/work_records.py) and finds what the week holds."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.dashboard import HIDDEN, WORK, grant_dashboard, shown_columns
from app.db.urls import asyncpg_dsn
from tests.catalog.grafana_macros import expand
from tests.catalog.work_records import HOOK, SECRET_TAIL, Week, record_week
from tests.dashboard_role import DASHBOARD_ROLE

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "deploy" / "grafana" / "ecoplane-work.json"
DOC = ROOT / "docs" / "dashboards.md"
PASSWORD = "dashboard-password-of-the-work-tests"
# each panel: the columns its query answers
PANELS = {
    "Runs per day by state": ["time", "metric", "runs"],
    "Failure rate per transformer": ["transformer", "runs", "failed", "failure_rate_percent"],
    "Run durations": ["kind", "target", "runs", "p50_seconds", "p95_seconds", "max_seconds"],
    "Active runs": [
        "id", "kind", "target", "state", "trigger", "requested_by", "requested_at",
        "started_at", "for_seconds",
    ],
    "Last batch per datastore": [
        "datastore", "batch", "state", "inserted", "updated", "deleted", "unchanged",
        "finished_at", "age_seconds", "reason",
    ],
    "Security sync per day": ["time", "metric", "syncs"],
    "Model versions activated and rejected per day": ["time", "metric", "versions"],
    "Dead-letter deliveries": [
        "event_time", "type", "subject", "receiver", "format", "attempts", "last_status",
        "last_error",
    ],
    "Ingests rejected or failed": [
        "id", "created_at", "trigger", "ref", "commit", "state", "version_id", "errors", "detail",
    ],
}  # fmt: skip


@pytest.fixture
async def week(
    engine: AsyncEngine, database_url: str
) -> AsyncIterator[tuple[Week, asyncpg.Connection, asyncpg.Connection]]:
    """The week written as the owner; the owner's and the dashboard role's connections."""
    admin = await asyncpg.connect(asyncpg_dsn(database_url))
    written = await record_week(engine, admin)
    await grant_dashboard(engine, DASHBOARD_ROLE, PASSWORD)
    dashboard = await asyncpg.connect(
        asyncpg_dsn(database_url), user=DASHBOARD_ROLE, password=PASSWORD
    )
    try:
        yield written, admin, dashboard
    finally:
        await dashboard.close()
        await admin.close()


async def test_the_role_reads_every_record_of_the_work_but_no_secret(
    week: tuple[Week, asyncpg.Connection, asyncpg.Connection],
) -> None:
    _, admin, dashboard = week
    for table in [*WORK, "model_version_activations"]:
        assert await dashboard.fetchval(f"SELECT count(*) FROM {table}") > 0, table
    # the secrets are there, for the owner
    assert await admin.fetchval("SELECT count(*) FROM runs WHERE log_tail = $1", SECRET_TAIL) == 5
    assert await admin.fetchval("SELECT url FROM event_subscriptions") == HOOK.url
    for table, (_, hidden) in HIDDEN.items():
        for column in hidden:
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match=table):
                await dashboard.fetch(f"SELECT {column} FROM {table}")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await dashboard.fetch(f"SELECT * FROM {table}")
        assert await dashboard.fetch(f"SELECT {', '.join(shown_columns(table))} FROM {table}")
    # every column the role can read, of every table of the work, holds nothing secret
    readable = await dashboard.fetch(
        "SELECT table_name, array_agg(column_name::text) AS columns"
        " FROM information_schema.column_privileges WHERE grantee = $1"
        " AND privilege_type = 'SELECT' AND table_name = ANY($2::text[]) GROUP BY table_name",
        DASHBOARD_ROLE, WORK,
    )  # fmt: skip
    assert sorted(row["table_name"] for row in readable) == sorted(WORK)
    for row in readable:
        shown = ", ".join(f"{c}::text" for c in row["columns"])
        values = [v for r in await dashboard.fetch(f"SELECT {shown} FROM {row['table_name']}")
                  for v in r.values()]  # fmt: skip
        leaked = [v for v in values if v and ("hunter2" in v or "token-in-the-path" in v)]
        assert leaked == [], row["table_name"]


def _panels() -> list[dict[str, Any]]:
    dashboard = json.loads(GRAFANA.read_text())
    assert isinstance(dashboard["schemaVersion"], int) and dashboard["schemaVersion"] >= 36
    assert dashboard["uid"] and dashboard["title"] and dashboard["time"]["from"] == "now-7d"
    (variable,) = dashboard["templating"]["list"]
    assert variable["type"] == "datasource"
    assert variable["query"] == "grafana-postgresql-datasource"
    panels: list[dict[str, Any]] = dashboard["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    cells: set[tuple[int, int]] = set()  # the grid is 24 wide: no two panels overlap
    for panel in panels:
        place = panel["gridPos"]
        assert place["x"] + place["w"] <= 24 and place["h"] > 0, panel["title"]
        mine = {
            (x, y)
            for x in range(place["x"], place["x"] + place["w"])
            for y in range(place["y"], place["y"] + place["h"])
        }
        assert cells.isdisjoint(mine), f"{panel['title']} overlaps another panel"
        cells |= mine
        assert panel["datasource"]["uid"] == f"${{{variable['name']}}}"
        for target in panel["targets"]:
            assert target["datasource"] == panel["datasource"] and target["rawQuery"] is True
            assert target["format"] == ("time_series" if panel["type"] == "timeseries" else "table")
    return panels


async def test_every_grafana_panel_runs_as_the_dashboard_role_and_finds_the_week(
    week: tuple[Week, asyncpg.Connection, asyncpg.Connection],
) -> None:
    written, _, dashboard = week
    panels = _panels()
    assert [p["title"] for p in panels] == list(PANELS)
    now = datetime.now(UTC)
    answers: dict[str, list[asyncpg.Record]] = {}
    for panel in panels:
        (target,) = panel["targets"]
        query = expand(target["rawSql"], now - timedelta(days=7), now + timedelta(minutes=1))
        statement = await dashboard.prepare(query)
        assert [a.name for a in statement.get_attributes()] == PANELS[panel["title"]]
        rows = answers[panel["title"]] = await statement.fetch()
        assert rows, panel["title"]
        if target["format"] == "time_series":  # Grafana: epoch seconds in `time`, numbers after
            assert all(isinstance(r["time"], float | Decimal) for r in rows)
            assert all(isinstance(r[-1], int) for r in rows)
    by_day = answers["Runs per day by state"]
    assert sum(r["runs"] for r in by_day) == written.runs
    assert len({r["time"] for r in by_day}) >= 7  # UTC days: 8 when the week straddles midnight
    rates = {r["transformer"]: r for r in answers["Failure rate per transformer"]}
    assert (rates["compute_exposures"]["failed"], rates["compute_exposures"]["runs"]) == (2, 7)
    assert rates["compute_exposures"]["failure_rate_percent"] == Decimal("28.6")
    assert rates["compute_revenue"]["failed"] == 0
    durations = {r["target"]: r for r in answers["Run durations"]}
    assert durations["compute_exposures"]["p50_seconds"] == Decimal("793.0")  # 610 s · 1.3
    active = answers["Active runs"]
    assert [(r["target"], r["state"]) for r in active] == [
        ("segment_customers", "running"),
        ("Orders", "queued"),
    ]
    assert active[0]["id"] == written.running and 2390 < active[0]["for_seconds"] < 2500
    batches = {r["datastore"]: r for r in answers["Last batch per datastore"]}
    assert sorted(batches) == ["Customers", "MarketData", "Orders"]
    assert (batches["Orders"]["batch"], batches["Orders"]["inserted"]) == (7, 120)
    syncs = {(r["metric"], r["time"]): r["syncs"] for r in answers["Security sync per day"]}
    assert sum(n for (metric, _), n in syncs.items() if metric == "failed") == 1
    assert sum(n for (metric, _), n in syncs.items() if metric == "applied") == 6
    versions = {r["metric"]: r["versions"] for r in answers["Model versions activated and rejected per day"]}  # fmt: skip
    assert versions == {"automatic": 1, "rejected": 1}
    dead = answers["Dead-letter deliveries"]
    assert len(dead) == written.dead == 2
    assert {(r["type"], r["receiver"], r["last_status"]) for r in dead} == {
        ("run.failed", "https://hooks.slack.test/…", 404)
    }
    ingests = answers["Ingests rejected or failed"]
    assert [(r["state"], r["ref"]) for r in ingests] == [
        ("failed", "release-7"),
        ("rejected", "main"),
    ]


def _doc_queries() -> list[tuple[str, list[str]]]:
    """Each query of the doc's Run health section, with the columns its output shows."""
    text = DOC.read_text()
    section = text[text.index("### Run health") :]
    section = section[: section.index("\n## ")]
    blocks = re.findall(r"```sql\n(.*?)```\n+```\n(.*?)\n", section, re.S)
    return [(sql, [c.strip() for c in header.split("|")]) for sql, header in blocks]


async def test_the_run_health_queries_of_the_doc_run_as_the_dashboard_role(
    week: tuple[Week, asyncpg.Connection, asyncpg.Connection],
) -> None:
    _, _, dashboard = week
    queries = _doc_queries()
    assert len(queries) >= 8
    for sql, shown in queries:
        statement = await dashboard.prepare(sql)
        assert [a.name for a in statement.get_attributes()] == shown, sql
        assert await statement.fetch(), sql
