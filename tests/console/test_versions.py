"""Versions in the console: a diff puts breaking changes first with the workspaces they affect,
and an admin rolls back to a superseded version from its page."""

from __future__ import annotations

import re

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import StoredVersion, store_model
from app.ecosystem.loader import load_texts
from tests.api.test_diffs import CUSTOMERS, acme_files
from tests.console.test_acting import signed_in

Console = tuple[httpx.AsyncClient, StoredVersion]
ADDED = "        - {name: loyalty_tier, type: varchar(8)}\n"


async def edited(engine: AsyncEngine) -> StoredVersion:
    """acme with customers.phone removed (breaking) and a column added (not), active."""
    files = acme_files(without_phone=True)
    anchor = files[CUSTOMERS].index("        - {name: email")
    files[CUSTOMERS] = files[CUSTOMERS][:anchor] + ADDED + files[CUSTOMERS][anchor:]
    return await store_model(
        engine, load_texts(dict(files)), source="edited", commit_sha="e5f6a7b8"
    )


async def test_the_diff_shows_breaking_changes_first(console: Console, engine: AsyncEngine) -> None:
    client, acme = console
    new = await edited(engine)
    page = (await client.get("/ui/diff", params={"old": acme.id, "new": "e5f6a7b8"})).text
    rows = re.findall(r"<tr class=\"([a-z]*)\"><td><span class=\"state state-(\w+)\">", page)
    assert len(rows) >= 2, page[:2000]
    assert rows[0] == ("breaking", "breaking")
    assert all(severity != "breaking" for _, severity in rows[1:])
    assert "columns/phone" in page
    assert '<a href="/ui/workspaces/TradeSurveillance">TradeSurveillance</a>' in page
    assert f"version {new.id}</a>" in page


async def test_an_admin_rolls_back_from_the_version_page(
    console: Console, engine: AsyncEngine
) -> None:
    client, acme = console
    await edited(engine)
    csrf = await signed_in(client, "admin")
    page = (await client.get(f"/ui/versions/{acme.id}")).text
    assert f'action="/ui/versions/{acme.id}/activate"' in page
    answer = await client.post(
        f"/ui/versions/{acme.id}/activate", data={"csrf": csrf, "reason": "phone is back"}
    )
    assert answer.status_code == 303
    overview = (await client.get("/ui/")).text
    assert f"version {acme.id}</a>" in overview
    assert "by <strong>admin</strong> (rollback)" in overview
