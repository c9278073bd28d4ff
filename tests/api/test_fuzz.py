"""Schemathesis fuzzes the committed OpenAPI document against a running service: no 5xx, and
responses match their schemas. Bounded: a few examples per operation."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from app.catalog.store import StoredVersion

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_PER_OPERATION = "15"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_no_server_errors_and_schema_conformance(
    database_url: str, acme: StoredVersion, tmp_path: Path
) -> None:
    port = _free_port()
    env = {**os.environ, "ECOPLANE_DATABASE_URL": database_url, "ECOPLANE_ANONYMOUS_READ": "true"}
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
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
    finally:
        server.terminate()
        server.wait(timeout=30)
