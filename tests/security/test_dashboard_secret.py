"""The dashboard role's credentials for the model export: the local secret `ecoplane-dashboard`."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.urls import asyncpg_dsn
from app.security.dashboard import dashboard_url, ensure_local_dashboard
from tests.dashboard_role import DASHBOARD_ROLE
from tests.security.logins import password_matches


def _secret(data_dir: Path) -> str:
    url: str = json.loads((data_dir / "secrets" / "ecoplane-dashboard.json").read_text())[
        "database-url"
    ]
    return url


async def test_the_service_start_ensures_the_role_and_its_local_secret(
    engine: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    path = await ensure_local_dashboard(engine, database_url, tmp_path, DASHBOARD_ROLE)
    assert path == tmp_path / "secrets" / "ecoplane-dashboard.json"
    assert path.stat().st_mode & 0o777 == 0o600
    url = make_url(_secret(tmp_path))
    assert url.username == DASHBOARD_ROLE and url.database == make_url(database_url).database
    password = str(url.password)
    assert len(password) >= 32
    admin = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        assert await password_matches(admin, DASHBOARD_ROLE, password)
        readable = await admin.fetchval(
            "SELECT has_table_privilege($1, 'current_datastores', 'SELECT')", DASHBOARD_ROLE
        )
        assert readable
        # the next start keeps the password (a run may be using it) and grants again
        await ensure_local_dashboard(engine, database_url, tmp_path, DASHBOARD_ROLE)
        assert make_url(_secret(tmp_path)).password == password
        assert await password_matches(admin, DASHBOARD_ROLE, password)
        # a secret nobody can read is replaced by a new password, given to the role too
        path.write_text("not json")
        await ensure_local_dashboard(engine, database_url, tmp_path, DASHBOARD_ROLE)
        replaced = str(make_url(_secret(tmp_path)).password)
        assert replaced != password and await password_matches(admin, DASHBOARD_ROLE, replaced)
    finally:
        await admin.close()
    as_dashboard = await asyncpg.connect(
        asyncpg_dsn(dashboard_url(database_url, DASHBOARD_ROLE, replaced))
    )
    try:
        assert await as_dashboard.fetchval("SELECT current_user") == DASHBOARD_ROLE
    finally:
        await as_dashboard.close()
