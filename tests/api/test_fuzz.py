"""Schemathesis fuzzes the committed OpenAPI document against a running service: no 5xx, and
responses match their schemas. Bounded: a few examples per operation."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from app.catalog.store import StoredVersion
from tests.api.server import running_service

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_PER_OPERATION = "15"


def test_no_server_errors_and_schema_conformance(
    database_url: str, acme: StoredVersion, tmp_path: Path
) -> None:
    env = {
        "ECOPLANE_DATABASE_URL": database_url,
        "ECOPLANE_WAREHOUSE_URL": database_url,  # the security plan reads a database the test drops
        "ECOPLANE_ANONYMOUS_READ": "true",
    }
    with running_service(env, tmp_path / "serve.log", ready="/readyz") as base:
        st = shutil.which("st", path=str(Path(sys.executable).parent)) or "st"
        result = subprocess.run(
            [
                st, "run", str(ROOT / "openapi" / "openapi.json"), "--url", base,
                "--checks", "not_a_server_error,response_schema_conformance",
                "--max-examples", EXAMPLES_PER_OPERATION, "--seed", "1", "--request-timeout", "10",
                "--suppress-health-check", "all",
            ],
            capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
