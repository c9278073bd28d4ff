"""/docs renders in headless Chromium with the outside network blocked: Swagger UI needs no CDN.

Chromium comes from Debian's package (`make browser`, part of `make test`). The rendered page's
screenshot is kept as a test artifact in test-artifacts/docs.png.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from app.catalog.store import StoredVersion
from tests.api.devtools import FLAGS as BROWSING
from tests.api.devtools import chromium
from tests.api.server import running_service

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
FLAGS = [*BROWSING, "--virtual-time-budget=15000"]  # offline, as in tests/api/devtools.py


def test_swagger_ui_renders_the_operations_offline(
    database_url: str, acme: StoredVersion, tmp_path: Path
) -> None:
    browser = chromium()
    profile = ["--user-data-dir=" + str(tmp_path / "profile")]
    env = {
        "ECOPLANE_DATABASE_URL": database_url, "ECOPLANE_ANONYMOUS_READ": "true",
        "ECOPLANE_DATA_DIR": str(tmp_path / "data"),
    }  # fmt: skip
    with running_service(env, tmp_path / "serve.log", ready="/readyz") as base:
        url = f"{base}/docs"
        dom = subprocess.run(
            [browser, *FLAGS, *profile, "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        ).stdout
        ARTIFACTS.mkdir(exist_ok=True)
        subprocess.run(
            [browser, *FLAGS, *profile, f"--screenshot={ARTIFACTS / 'docs.png'}", url],
            capture_output=True, timeout=120, check=False,
        )  # fmt: skip
    assert "swagger-ui" in dom
    assert dom.count('class="opblock ') >= 5, "Swagger UI rendered the operations"
    assert "/api/v1/datastores/{name}" in dom
    assert (ARTIFACTS / "docs.png").stat().st_size > 10_000


# the same on any Postgres server: make test-pg leaves it to make test
pytestmark = pytest.mark.server_neutral
