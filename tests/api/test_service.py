"""The committed OpenAPI document, tokens, and `ecoplane serve` as a real process."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.cli import main
from app.cli.service_commands import openapi_document

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


def test_token_create_prints_a_token_and_its_entry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "create", "--name", "ci", "--scope", "operate", "--scope", "read"]) == 0
    token, entry = capsys.readouterr().out.splitlines()
    parsed = json.loads(entry)
    assert parsed == {
        "name": "ci",
        "sha256": hashlib.sha256(token.encode()).hexdigest(),
        "scopes": ["operate", "read"],
    }
    assert len(token) >= 40


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_serve_runs_as_a_process_and_answers(database_url: str, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "ECOPLANE_DATABASE_URL": database_url, "ECOPLANE_ANONYMOUS_READ": "true"}
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "serve.log").open("w"),
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):  # wait until it listens (bounded: 30 s)
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError((tmp_path / "serve.log").read_text())
        assert httpx.get(f"{base}/readyz").status_code == 503  # no model loaded in this database
        assert httpx.get(f"{base}/api/v1/model-versions").json() == {
            "items": [],
            "nextCursor": None,
        }
        loaded = subprocess.run(
            [sys.executable, "-m", "app.cli", "load", str(ROOT / "examples" / "acme")],
            env=env,
            capture_output=True,
            check=False,
        )
        assert loaded.returncode == 0, loaded.stderr
        assert httpx.get(f"{base}/readyz").status_code == 200
        ecosystem = httpx.get(f"{base}/api/v1/ecosystem").json()
        assert ecosystem["name"] == "Acme" and ecosystem["counts"]["datastores"] == 23
    finally:
        server.terminate()
        server.wait(timeout=30)


async def test_docs_are_served_without_a_cdn(api: httpx.AsyncClient) -> None:
    for page in ("/docs", "/redoc"):
        html = (await api.get(page)).text
        assert "cdn." not in html and "unpkg" not in html and "googleapis" not in html
        assert "/static-offline-docs/" in html
    script = await api.get("/static-offline-docs/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000
    assert (await api.get("/openapi.json")).json()["info"]["title"] == "ecoplane"


def test_embedded_default_loads_the_example_and_stops_its_postgres(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "ECOPLANE_DATABASE_URL"}
    env["ECOPLANE_DATA_DIR"] = str(tmp_path / "data")
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "serve.log").open("w"),
    )
    pid_file = tmp_path / "data" / "postgres" / "postmaster.pid"
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):  # bounded: 60 s for a first start (initdb, migrations, the example)
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        ecosystem = httpx.get(
            f"{base}/api/v1/ecosystem"
        ).json()  # anonymous reads: on when embedded
        assert ecosystem["name"] == "Acme"
        assert pid_file.exists()
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert not pid_file.exists(), "the embedded Postgres stopped with the service"
