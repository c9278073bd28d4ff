"""Benchmark: `ecoplane serve` ready and its memory, with the large generated model stored.

Setup, outside the measures: the model of bench/model_load.py's SIZE (2,000 datastores x 16
datasets, 4,000 workspaces x 22 sinks, 1,000 transformers) generated and stored with `ecoplane
load` in a data directory of its own (the embedded Postgres), then the service started once
(the first start makes the example's source database: not what a start costs).

Then, interleaved, `--runs` times each:

  ecoplane  `ecoplane serve`: seconds from the process start to /readyz answering 200 (the
            embedded Postgres started, migrations checked, ...), the process's CPU (user+sys)
            then, its RSS then, and its RSS once the active version's lineage graph is built
            (a lineage read answered: the graph is built in the background after start); and,
            from its log, the seconds of its lifespan's start (uvicorn's `Started server
            process` to `Application startup complete`: the database and the resources) --
            the rest of the time to ready is the process's imports and uvicorn's own start
  baseline  a bare FastAPI app with one constant route under uvicorn (`python -c`): seconds to
            its first 200, CPU and RSS

RSS is the server process's alone (the embedded Postgres's processes are not counted). Prints
the medians and ecoplane / baseline; exit status 1 when ecoplane's median time to ready is over
2 s or its median RSS with the graph built over 150 MB.

    .venv/bin/python bench/start.py [--runs 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path

from model_load import SIZE  # bench/ is this script's directory: the same model
from processes import cpu_seconds, free_port, memory_mb

TARGET_READY_SECONDS, TARGET_RSS_MB = 2.0, 150.0
DEADLINE = 120.0  # a server not ready by then is stopped and the run fails
NODE = "datastore:store_00000"
BASELINE = """
import sys, uvicorn
from fastapi import FastAPI
app = FastAPI()
@app.get("/readyz")
def ready() -> dict[str, str]:
    return {"status": "ready"}
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""
BIN = Path(sys.executable).parent


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _lifespan_seconds(lines: list[str]) -> float:
    """From the server's log: uvicorn's `Started server process` to `Application startup
    complete` (the lifespan's start), in seconds."""
    stamps: dict[str, datetime] = {}
    for line in lines:
        if line.startswith("{"):
            entry = json.loads(line)
            for mark in ("Started server process", "Application startup complete"):
                if entry["message"].startswith(mark):
                    stamps.setdefault(mark, datetime.fromisoformat(entry["time"]))
    started, complete = stamps["Started server process"], stamps["Application startup complete"]
    return (complete - started).total_seconds()


def _serve(command: list[str], env: dict[str, str], port: int, log: Path) -> dict[str, float]:
    """Start a server, wait until /readyz answers 200 (polled every 10 ms), measure, stop it."""
    base = f"http://127.0.0.1:{port}"
    logged = log.stat().st_size if log.exists() else 0
    with log.open("ab") as errors:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        try:
            while not _answers(f"{base}/readyz"):
                if process.poll() is not None or time.perf_counter() - start > DEADLINE:
                    raise RuntimeError(f"{command[0]} did not get ready: see {log}")
                time.sleep(0.01)
            measured = {
                "ready": time.perf_counter() - start,
                "cpu": cpu_seconds(process.pid),
                "rss": memory_mb(process.pid),
            }
            if "--port" in command:  # ecoplane: once the graph is built (a read waits for it)
                assert _answers(f"{base}/api/v1/lineage?node={NODE}&depth=1")
                measured["rss_graph"] = memory_mb(process.pid)
                with log.open("rb") as written:
                    written.seek(logged)
                    lines = written.read().decode(errors="replace").splitlines()
                measured["lifespan"] = _lifespan_seconds(lines)
            return measured
        finally:
            _stop(process)


def _setup(folder: Path, env: dict[str, str]) -> None:
    model = folder / "model"
    if not (model / "ecosystem.yaml").exists():
        subprocess.run(
            [str(BIN / "ecoplane"), "example", "generate", str(model), *SIZE], check=True
        )
    stored = folder / "data" / "stored"
    if not stored.exists():
        subprocess.run(
            [str(BIN / "ecoplane"), "load", str(model)],
            env=env, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        stored.touch()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--keep", type=Path, help="generate and store into (or reuse) this directory"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ecoplane-bench-start-") as scratch:
        folder = args.keep or Path(scratch)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ECOPLANE_")}
        env.update(
            ECOPLANE_DATA_DIR=str(folder / "data"),
            ECOPLANE_MAX_MODEL_BYTES=str(2**31), ECOPLANE_MAX_MODEL_NODES=str(10**9),
        )  # fmt: skip
        _setup(folder, env)
        log = folder / "serve.log"
        ecoplane = [str(BIN / "ecoplane"), "serve", "--port"]
        _serve(
            [*ecoplane, str(port := free_port())], env, port, log
        )  # the first start: not measured
        runs: dict[str, list[dict[str, float]]] = {"ecoplane": [], "baseline": []}
        for _ in range(args.runs):
            port = free_port()
            runs["ecoplane"].append(_serve([*ecoplane, str(port)], env, port, log))
            port = free_port()
            runs["baseline"].append(
                _serve([sys.executable, "-c", BASELINE, str(port)], env, port, log)
            )
    median = {
        side: {key: statistics.median(run[key] for run in found) for key in found[0]}
        for side, found in runs.items()
    }
    ours, bare = median["ecoplane"], median["baseline"]
    print(f"{args.runs} starts each, interleaved; medians (load: {os.getloadavg()[0]:.2f})")
    print(f"{'':34}{'ecoplane':>10}{'bare app':>10}{'ratio':>8}")
    for key, label in (
        ("ready", "to ready (s)"),
        ("cpu", "CPU until ready (s)"),
        ("rss", "RSS at ready (MB)"),
    ):
        print(f"{label:34}{ours[key]:10.2f}{bare[key]:10.2f}{ours[key] / bare[key]:8.2f}")
    print(f"{'RSS, lineage graph built (MB)':34}{ours['rss_graph']:10.1f}")
    print(f"{'of ready: lifespan start (s)':34}{ours['lifespan']:10.2f}")
    ready_each = " / ".join(f"{run['ready']:.2f}" for run in runs["ecoplane"])
    print(f"ecoplane to ready, each run: {ready_each} s")
    ok = ours["ready"] <= TARGET_READY_SECONDS and ours["rss_graph"] <= TARGET_RSS_MB
    print(
        f"targets: ready <= {TARGET_READY_SECONDS} s, RSS <= {TARGET_RSS_MB:.0f} MB:",
        "met" if ok else "TARGET MISSED",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
