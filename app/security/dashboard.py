"""Credentials of the read-only dashboard role: its URL, kept as the secret `ecoplane-dashboard`.

The builtin model export reads the model with this URL (key `database-url`). On Kubernetes
the operator creates the Secret (docs/deploy.md); locally it is the file
`<data_dir>/secrets/ecoplane-dashboard.json`, 0600, where the local runner reads secrets.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.dashboard import grant_dashboard
from app.security.secrets.base import new_password
from app.security.secrets.local import write_private_json

DASHBOARD_SECRET = "ecoplane-dashboard"
URL_KEY = "database-url"


def dashboard_url(control_url: str, role: str, password: str) -> str:
    """The control-plane database's URL as the dashboard role (the password in it, escaped)."""
    parsed = make_url(control_url).set(drivername="postgresql", username=role, password=password)
    return parsed.render_as_string(hide_password=False)


def dashboard_secret_path(data_dir: Path) -> Path:
    """Where the local secret of the dashboard role lives."""
    return data_dir / "secrets" / f"{DASHBOARD_SECRET}.json"


def write_dashboard_secret(data_dir: Path, url: str) -> Path:
    """Write the local secret `ecoplane-dashboard` = {"database-url": url}, 0600."""
    path = dashboard_secret_path(data_dir)
    write_private_json(path, {URL_KEY: url})
    return path


def stored_password(data_dir: Path) -> str | None:
    """The dashboard password kept in the local secret, if it is there and readable."""
    try:
        document = json.loads(dashboard_secret_path(data_dir).read_text())
        url = document[URL_KEY]
        password = make_url(url).password if isinstance(url, str) else None
    except Exception:  # missing, unreadable or not a URL: a new password is made
        return None
    return str(password) if password else None


async def ensure_local_dashboard(
    engine: AsyncEngine, control_url: str, data_dir: Path, role: str
) -> Path:
    """Make sure the dashboard role exists with the password of the local secret (a new one
    when there is none) and may read the newest tables; return the secret's path.

    For the service's start on the embedded default. The secret is written before the role
    gets its password, so a crash in between leaves a password the next start reuses.
    """
    password = stored_password(data_dir) or new_password()
    path = write_dashboard_secret(data_dir, dashboard_url(control_url, role, password))
    await grant_dashboard(engine, role, password)
    return path
