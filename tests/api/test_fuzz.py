"""Schemathesis fuzzes the committed OpenAPI document against a running service: no 5xx, and
responses match their schemas, on every operation. Bounded: a few examples per operation."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.catalog.store import StoredVersion
from tests.api.server import running_service

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "openapi" / "openapi.json"
EXAMPLES_PER_OPERATION = "15"
FUZZ_TOKEN = "fuzz-admin-token"


def test_no_server_errors_and_schema_conformance(
    prefix: str, database_url: str, acme: StoredVersion, tmp_path: Path
) -> None:
    # an admin token: the operating routes (start and cancel runs) are fuzzed past their auth
    digest = hashlib.sha256(FUZZ_TOKEN.encode()).hexdigest()
    tokens = json.dumps([{"name": "fuzz", "sha256": digest, "scopes": ["admin"]}])
    env = {
        "ECOPLANE_DATABASE_URL": database_url,
        "ECOPLANE_ANONYMOUS_READ": "true",
        "ECOPLANE_TOKENS": tokens,
        "ECOPLANE_DATA_DIR": str(tmp_path),
        "ECOPLANE_WAREHOUSE_URL": database_url,  # the security plan reads a database the test drops
        # fuzzed security runs really sync: roles of this test's own, dropped after it
        "ECOPLANE_ROLE_PREFIX": prefix,
        "ECOPLANE_SECURITY_MARKER": f"{prefix}managed",
    }
    with running_service(env, tmp_path / "serve.log", ready="/readyz") as base:
        st = shutil.which("st", path=str(Path(sys.executable).parent)) or "st"
        result = subprocess.run(
            [
                st, "run", str(DOCUMENT), "--url", base,
                "--checks", "not_a_server_error,response_schema_conformance",
                "--max-examples", EXAMPLES_PER_OPERATION, "--seed", "1", "--request-timeout", "10",
                "--suppress-health-check", "all", "--header", f"Authorization: Bearer {FUZZ_TOKEN}",
            ],
            capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    operations = sum(len(methods) for methods in json.loads(DOCUMENT.read_text())["paths"].values())
    # every operation of the document was fuzzed: none filtered out, none left untested
    assert f"Selected: {operations}/{operations}" in result.stdout, result.stdout[-2000:]
    assert f"Tested: {operations}\n" in result.stdout, result.stdout[-2000:]


# the same on any Postgres server: make test-pg leaves it to make test
pytestmark = pytest.mark.server_neutral
