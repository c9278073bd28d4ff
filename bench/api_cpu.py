"""Benchmark: the server's CPU per request, measured in-process (steady when the machine is loaded).

The ASGI apps are called directly, one request after the other, with no HTTP server or client
between: the service with its fast reads (app/api/fast_reads.py), the same service without them
(every read through FastAPI's routing), and the bare FastAPI app of bench/api.py as the
baseline. Answers are never kept (ECOPLANE_ANSWER_CACHE_MB=0) and each request names another
datastore, workspace, ... (the names are cycled), so every answer is made; the access log is
written (JSON lines, to /dev/null as in bench/api.py). Rounds are interleaved (a round of each
app in turn) and the median of the rounds is printed: CPU microseconds of this process per
request (Postgres works in its own processes), and the bare app's CPU against each one's.

Needs a database with a model active (the large model of bench/model_load.py, loaded with
`ecoplane load`), e.g. on a PostgreSQL of your own:

    ECOPLANE_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/DB .venv/bin/python bench/api_cpu.py

Exit status 1 when the fast path costs more CPU than FastAPI's routing of the same request, or
when the service's /healthz costs more than 1.25x the bare app's (issue 22: the access log,
metrics and request id may not cost more than a fifth of the trivial request).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bare_app import app as bare_app

from app.logs import configure_logging
from app.main import create_app
from app.settings import Settings

API = "/api/v1"
App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
STACK_LIMIT = 1.25  # the service's /healthz CPU against the bare app's


async def ask(app: App, target: str) -> tuple[int, bytes]:
    """One GET through the ASGI app: its status and body."""
    path, _, query = target.partition("?")
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": query.encode(), "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "app": app,
    }  # fmt: skip
    status, parts = 0, []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        else:
            parts.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(parts)


async def cpu_per_request(app: App, targets: list[str], count: int, start: int) -> float:
    """Microseconds of this process's CPU per request, asking `count` targets in turn."""
    began = time.process_time()
    for n in range(count):
        status, _ = await ask(app, targets[(start + n) % len(targets)])
        if status != 200:
            raise SystemExit(f"{targets[(start + n) % len(targets)]}: {status}")
    return (time.process_time() - began) / count * 1e6


async def names(app: App, listing: str) -> list[str]:
    """Every name of a list of the API."""
    import orjson

    found: list[str] = []
    cursor = ""
    while True:
        _, body = await ask(app, f"{API}/{listing}?limit=500{cursor}")
        page = orjson.loads(body)
        found += [item["name"] for item in page["items"]]
        if page["nextCursor"] is None:
            return found
        cursor = f"&cursor={page['nextCursor']}"


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=400, help="requests per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    configure_logging("INFO")
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.stream = open(os.devnull, "w")  # noqa: SIM115
    settings = Settings(
        answer_cache_mb=0, anonymous_read=True, scheduler=False,
        security_sync_on_activation=False, load_example=False,
    )  # fmt: skip
    fast, routed = create_app(settings), create_app(settings, fast_reads=False)
    async with fast.router.lifespan_context(fast), routed.router.lifespan_context(routed):
        stores = await names(fast, "datastores")
        ingested = [s for s in stores if s.startswith("store_")] or stores
        routes = {
            "/healthz": ["/healthz"],
            "a workspace": [f"{API}/workspaces/{w}" for w in await names(fast, "workspaces")],
            "a dataset": [f"{API}/datastores/{s}/datasets/ds_{d:03d}" for s in ingested for d in range(16)],
            "a transformer": [f"{API}/transformers/{t}" for t in await names(fast, "transformers")],
            "a datastore": [f"{API}/datastores/{s}" for s in ingested],
            "50-row list, filtered": [
                f"{API}/datastores?limit=50&zone=zone{z}&productionStatus={p}"
                for z in range(16) for p in ("production", "not-production")
            ],
            "consumers of a datastore": [f"{API}/datastores/{s}/consumers" for s in stores],
            "lineage depth=3": [
                f"{API}/lineage?node=datastore:{s}&direction=downstream&depth=3" for s in stores
            ],
        }  # fmt: skip
        for targets in routes.values():  # once each first: the version's graph is built
            await ask(fast, targets[0])
        bare: list[float] = []
        measured: dict[str, dict[str, list[float]]] = {
            k: {"fast": [], "routed": []} for k in routes
        }
        for round_ in range(args.rounds):
            start = round_ * args.requests
            bare.append(await cpu_per_request(bare_app, ["/healthz"], args.requests, 0))
            for label, targets in routes.items():
                for name, app in (("fast", fast), ("routed", routed)):
                    cpu = await cpu_per_request(app, targets, args.requests, start)
                    measured[label][name].append(cpu)
    return report(statistics.median(bare), measured)


def report(bare: float, measured: dict[str, dict[str, list[float]]]) -> int:
    """Print the medians; 1 when a limit is passed."""
    print(f"load average {os.getloadavg()[0]:.1f}; bare FastAPI /healthz: {bare:.0f} us CPU")
    print(f"{'route':27}| {'fast us':>8} {'bare/fast':>9} | {'routed us':>9} {'bare/routed':>11}")
    failed = False
    for label, runs in measured.items():
        fast, routed = statistics.median(runs["fast"]), statistics.median(runs["routed"])
        print(f"{label:27}| {fast:8.0f} {bare / fast:9.2f} | {routed:9.0f} {bare / routed:11.2f}")
        if label == "/healthz":
            failed |= fast > STACK_LIMIT * bare
        else:
            failed |= fast > routed * 1.05  # within the noise of the rounds
    print("RESULT:", "limit passed" if failed else "within limits")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
