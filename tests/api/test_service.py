"""The committed OpenAPI document, tokens, and `ecoplane serve` as a real process."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from app.cli import main
from app.cli.service_commands import openapi_document
from tests.api.server import running_service

ROOT = Path(__file__).resolve().parents[2]


def test_committed_openapi_matches_the_app() -> None:
    committed = (ROOT / "openapi" / "openapi.json").read_text()
    assert committed == openapi_document(), "run `ecoplane openapi` and commit openapi/openapi.json"


def test_every_operation_has_a_summary_and_a_unique_id() -> None:
    document = json.loads(openapi_document())
    operations = [op for path in document["paths"].values() for op in path.values()]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))
    assert all(op.get("summary") and op.get("description") for op in operations)


def test_token_create_entry_prints_a_token_and_its_entry(
    capsys: pytest.CaptureFixture[str],
) -> None:
    given = ["--name", "ci", "--scope", "operate", "--scope", "read", "--entry"]
    assert main(["token", "create", *given]) == 0  # no database: the first token of a deployment
    token, entry = capsys.readouterr().out.splitlines()
    parsed = json.loads(entry)
    assert parsed == {
        "name": "ci",
        "sha256": hashlib.sha256(token.encode()).hexdigest(),
        "scopes": ["operate", "read"],
    }
    assert len(token) >= 40


def test_serve_runs_as_a_process_and_answers(database_url: str, tmp_path: Path) -> None:
    env = {
        "ECOPLANE_DATABASE_URL": database_url, "ECOPLANE_ANONYMOUS_READ": "true",
        "ECOPLANE_DATA_DIR": str(tmp_path / "data"),
    }  # fmt: skip
    with running_service(env, tmp_path / "serve.log") as base:
        assert httpx.get(f"{base}/readyz").status_code == 503  # no model loaded in this database
        assert httpx.get(f"{base}/api/v1/model-versions").json() == {
            "items": [],
            "nextCursor": None,
        }
        loaded = subprocess.run(
            [sys.executable, "-m", "app.cli", "load", str(ROOT / "examples" / "acme")],
            env={**os.environ, **env},
            capture_output=True,
            check=False,
        )
        assert loaded.returncode == 0, loaded.stderr
        assert httpx.get(f"{base}/readyz").status_code == 200
        ecosystem = httpx.get(f"{base}/api/v1/ecosystem").json()
        assert ecosystem["name"] == "Acme" and ecosystem["counts"]["datastores"] == 24


async def test_docs_are_served_without_a_cdn(api: httpx.AsyncClient) -> None:
    for page in ("/docs", "/redoc"):
        html = (await api.get(page)).text
        assert "cdn." not in html and "unpkg" not in html and "googleapis" not in html
        assert "/static-offline-docs/" in html
    script = await api.get("/static-offline-docs/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000
    assert (await api.get("/openapi.json")).json()["info"]["title"] == "ecoplane"


def test_embedded_default_loads_the_example_and_stops_its_postgres(tmp_path: Path) -> None:
    pid_file = tmp_path / "data" / "postgres" / "postmaster.pid"
    env = {"ECOPLANE_DATA_DIR": str(tmp_path / "data")}
    with running_service(
        env, tmp_path / "serve.log", ready="/readyz", unset=("ECOPLANE_DATABASE_URL",)
    ) as base:
        ecosystem = httpx.get(
            f"{base}/api/v1/ecosystem"
        ).json()  # anonymous reads: on when embedded
        assert ecosystem["name"] == "Acme"
        assert pid_file.exists()
    assert not pid_file.exists(), "the embedded Postgres stopped with the service"
