"""Benchmark: the API serving the large generated model, one uvicorn worker, wrk on loopback.

Loads the model of bench/model_load.py into an embedded Postgres, starts `ecoplane serve`, and
runs wrk (32 connections, bounded duration) against four routes and, as the baseline in the
same run, /healthz (a constant JSON through the same stack). Prints requests/s, p50 and p99 of
each, the ratios to the baseline, and the server's peak RSS. Exit status 1 when a target is
missed: the detail routes (a workspace, consumers, lineage) at least 35% of the baseline's
throughput with p99 under 25 ms, and the server's peak RSS under 400 MB. The 50-row list is
measured and printed beside them; the issue sets it no target (MEASURED.md finds a 50-row list
at ~0.3 of a constant JSON in a bare app). Needs wrk (Debian's package `wrk`).

The same URL asked again is answered from memory (app/api/version_answers.py): that is what the
targets are measured on. Each route is measured a second time ("made each time") with a query
parameter that differs in every request, so every answer is made by the route from the
database and the version's graph, and kept (filling the memory to its bound, which the peak RSS
then includes); those rows are printed for comparison and carry no target.

    .venv/bin/python bench/api.py [--keep DIR] [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from model_load import SIZE

MIN_SHARE, MAX_P99_MS, MAX_RSS_MB = 0.35, 25.0, 400.0
ROUTES = {
    "baseline /healthz": "/healthz",
    "GET /workspaces/{name}": "/api/v1/workspaces/ws_01234",
    "GET /datastores?limit=50": "/api/v1/datastores?limit=50",
    "GET /datastores/{name}/consumers": "/api/v1/datastores/store_00042/consumers",
    "GET /lineage depth=3": "/api/v1/lineage?node=datastore:store_00042&direction=downstream&depth=3",
}
DETAIL_ROUTES = {
    "GET /workspaces/{name}",
    "GET /datastores/{name}/consumers",
    "GET /lineage depth=3",
}
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
MADE = " (made each time)"
# every request a URL of its own: thread id and a counter in an extra query parameter
UNIQUE_URLS = """
local threads = 0
function setup(thread) threads = threads + 1; thread:set("id", threads) end
counter = 0
function request()
  counter = counter + 1
  local sep = string.find(wrk.path, "?", 1, true) and "&" or "?"
  return wrk.format(nil, wrk.path .. sep .. "bench=" .. id .. "-" .. counter)
end
"""


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wrk(url: str, seconds: int, script: str | None = None) -> tuple[float, float, float]:
    """requests/s, p50 ms, p99 ms."""
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            "-c32",
            f"-d{seconds}s",
            "--latency",
            *(["-s", script] if script else []),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = {
        p: float(v) * UNITS[u] for p, v, u in re.findall(r"\s(50|99)%\s+([\d.]+)(us|ms|s)", out)
    }
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} error responses")
    return rate, latency["50"], latency["99"]


def _peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--keep", type=Path, help="generate the model into (or reuse) this directory"
    )
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per route")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    cli = str(Path(sys.executable).with_name("ecoplane"))
    with tempfile.TemporaryDirectory() as scratch:
        model = args.keep or Path(scratch, "model")
        if not (model / "ecosystem.yaml").exists():
            subprocess.run([cli, "example", "generate", str(model), *SIZE], check=True)
        env = {
            **os.environ,
            "ECOPLANE_DATA_DIR": str(Path(scratch, "data")),
            "ECOPLANE_LOAD_EXAMPLE": "false",
            # the API alone, not the jobs: the large model's 1,000 cron transformers start
            # hundreds of runs at every fifth minute, and a security sync of thousands of roles
            # follows its activation -- on the same two cores while wrk measures
            "ECOPLANE_SCHEDULER": "false",
            "ECOPLANE_SECURITY_SYNC_ON_ACTIVATION": "false",
            # the generated model is 24 MB in 6,000 files: past the default bounds of one model
            "ECOPLANE_MAX_MODEL_BYTES": str(64 * 2**20),
            "ECOPLANE_MAX_MODEL_NODES": str(10**7),
        }
        env.pop("ECOPLANE_DATABASE_URL", None)
        port = _port()
        server = subprocess.Popen(
            [cli, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(600):
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            subprocess.run([cli, "load", str(model)], env=env, check=True, capture_output=True)
            assert httpx.get(f"{base}/readyz").status_code == 200
            for (
                path
            ) in ROUTES.values():  # one request each first: caches (the version's graph) fill
                httpx.get(base + path, timeout=120).raise_for_status()
            results = {label: _wrk(base + path, args.seconds) for label, path in ROUTES.items()}
            unique = Path(scratch, "unique.lua")
            unique.write_text(UNIQUE_URLS)
            for label, path in ROUTES.items():
                if label in DETAIL_ROUTES:
                    results[label + MADE] = _wrk(base + path, args.seconds, str(unique))
            rss = _peak_rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return _report(results, rss)


def _report(results: dict[str, tuple[float, float, float]], rss: float) -> int:
    baseline = results["baseline /healthz"][0]
    missed = rss > MAX_RSS_MB
    print(f"{'route':50} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'share':>6}")
    for label, (rate, p50, p99) in results.items():
        share = rate / baseline
        print(f"{label:50} {rate:9.0f} {p50:8.2f} {p99:8.2f} {share:6.2f}")
        if label in DETAIL_ROUTES:
            missed |= share < MIN_SHARE or p99 > MAX_P99_MS
    print(f"server peak RSS: {rss:.0f} MB (target < {MAX_RSS_MB:.0f} MB)")
    print(f"rows{MADE}: a URL of its own per request, answered by the route; no target")
    print(
        f"targets of the detail routes: share >= {MIN_SHARE} of the baseline, p99 < {MAX_P99_MS} ms"
    )
    print("RESULT:", "target missed" if missed else "within target")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
