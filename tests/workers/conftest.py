"""Running workers as real child processes with libpq variables of a real database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

# the security sync's fixtures: a warehouse of the test's own, roles with its prefix, a store
from tests.security.conftest import (  # noqa: F401
    acme_model,
    config,
    password_logins,
    postgres,
    store,
    sync,
    warehouse,
    warehouse_url,
)

ROOT = Path(__file__).resolve().parents[2]


def libpq_env(url: str) -> dict[str, str]:
    """PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD of a URL (a socket directory too)."""
    parsed = make_url(url)
    host = parsed.host or parsed.query.get("host") or "localhost"
    return {
        "PGHOST": str(host),
        "PGPORT": str(parsed.port or 5432),
        "PGDATABASE": parsed.database or "postgres",
        "PGUSER": parsed.username or "postgres",
        "PGPASSWORD": parsed.password or "",
    }


def run_worker(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`python -m <argv>` from the repository root, with env over an environment without PG*,
    ECOPLANE_* and PYTEST_* variables (an outer session's PYTEST_ADDOPTS is not the child's)."""
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("PG", "ECOPLANE_", "PYTEST_"))
    }
    return subprocess.run(
        [sys.executable, "-m", *argv],
        capture_output=True, text=True, env={**clean, **env}, cwd=ROOT, timeout=300, check=False,
    )  # fmt: skip
