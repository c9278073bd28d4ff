"""/docs renders in headless Chromium with the outside network blocked: Swagger UI needs no CDN.

Chromium comes from Debian's package (`make browser`, part of `make test`). The rendered page's
screenshot is kept as a test artifact in test-artifacts/docs.png.
"""

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
ARTIFACTS = ROOT / "test-artifacts"
# every request leaves through a proxy that does not exist, except to the service itself
OFFLINE = ["--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=127.0.0.1"]
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1280,2400", "--virtual-time-budget=15000", *OFFLINE,
]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_swagger_ui_renders_the_operations_offline(
    database_url: str, acme: StoredVersion, tmp_path: Path
) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Chromium is missing: `make browser` installs Debian's package"
    port = _free_port()
    env = {**os.environ, "ECOPLANE_DATABASE_URL": database_url, "ECOPLANE_ANONYMOUS_READ": "true"}
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/docs"
    profile = ["--user-data-dir=" + str(tmp_path / "profile")]
    try:
        for _ in range(300):
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        dom = subprocess.run(
            [chromium, *FLAGS, *profile, "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        ).stdout
        ARTIFACTS.mkdir(exist_ok=True)
        subprocess.run(
            [chromium, *FLAGS, *profile, f"--screenshot={ARTIFACTS / 'docs.png'}", url],
            capture_output=True, timeout=120, check=False,
        )  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "swagger-ui" in dom
    assert dom.count('class="opblock ') >= 5, "Swagger UI rendered the operations"
    assert "/api/v1/datastores/{name}" in dom
    assert (ARTIFACTS / "docs.png").stat().st_size > 10_000
