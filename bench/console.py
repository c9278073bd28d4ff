"""Benchmark: each console page's server time on the large generated model, and the lineage graph
of about 500 nodes drawn in Chromium.

Loads the model of bench/model_load.py (2,000 datastores, 4,000 workspaces) into an embedded
Postgres (or the server of --database-url, e.g. the machine's PostgreSQL 15 with pg_trgm),
starts `ecoplane serve`, asks every page once (caches fill), then 20 times in a row, and prints
p50 and p95 of the time to the last byte on loopback. Then it loads a denser model (the same
workspaces and transformers over 200 datastores: on the large model the walks around the datastores
tried stay under 150 nodes at the depth cap of 10, each dataset being sunk by two or three
workspaces), finds the
smallest walk of at least 500 nodes around a datastore and times, in Debian's headless Chromium (Playwright), from
the navigation's start until the graph is drawn (lineage.js's marks), against the same graph
drawn by cytoscape in the browser (`draw=browser`), the two asked in turn. Targets (issue 21): every page's
p95 under 100 ms, the graph under 1.5 s; exit status 1 when one is missed.

    .venv/bin/python bench/console.py [--keep DIR] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
from model_load import SIZE

from tests.api.server import free_port

PAGE_MS, GRAPH_MS, ASKED = 100.0, 1500.0, 20
# the model whose lineage walks reach 500 nodes: each dataset sunk by ~27 workspaces
DENSE = [*SIZE[:1], "200", *SIZE[2:]]
# the baseline of the graph's time, drawn in turn with it in the same browser: the same walk drawn
# by cytoscape in the browser (as every graph was before the server drew the large ones)
IN_BROWSER = "&draw=browser"


def pages(base: str) -> dict[str, str]:
    """The console's pages on the generated model (names read from the API)."""
    api = f"{base}/api/v1"
    transformer = httpx.get(f"{api}/transformers", params={"limit": 1}).json()["items"][0]
    team = httpx.get(f"{api}/teams", params={"limit": 1}).json()["items"][0]
    store = httpx.get(f"{api}/datastores/store_00042").json()
    return {
        "overview": "/ui/",
        "datastore": "/ui/datastores/store_00042",
        "dataset": f"/ui/datastores/store_00042/datasets/{store['datasets'][0]['name']}",
        "workspace": "/ui/workspaces/ws_01234",
        "transformer": f"/ui/transformers/{transformer['name']}",
        "team": f"/ui/zones/{team['zone']}/teams/{team['name']}",
        "zone": f"/ui/zones/{team['zone']}",
        "lineage depth 3": "/ui/lineage?node=datastore:store_00042&direction=downstream&depth=3",
        "versions": "/ui/versions",
        "runs": "/ui/runs",
        "security": "/ui/security",
        "search (a typo)": "/ui/search?q=stor_00042",
        "search (a column)": "/ui/search?q=col_003",
        "search (in 300,000)": "/ui/search?q=col_00",  # no exact name, similar to most columns
    }


def timed(client: httpx.Client, url: str) -> list[float]:
    """Milliseconds of each of ASKED requests, after one that fills the caches."""
    client.get(url).raise_for_status()
    spent = []
    for _ in range(ASKED):
        start = time.perf_counter()
        client.get(url).raise_for_status()
        spent.append((time.perf_counter() - start) * 1000)
    return spent


def big_walk(base: str) -> tuple[str, int]:
    """The lineage URL whose walk has the fewest nodes of at least 500, and that number."""
    found = ("", 10**9)
    for store in ("store_00042", "store_00007", "store_00100", "store_00199"):
        for direction in ("both", "downstream", "upstream"):
            for depth in range(1, 11):
                params = {"node": f"datastore:{store}", "direction": direction, "depth": depth}
                size = len(httpx.get(f"{base}/api/v1/lineage", params=params).json()["nodes"])
                if 500 <= size < found[1]:
                    query = "&".join(f"{k}={v}" for k, v in params.items())
                    found = (f"/ui/lineage?{query}", size)
                if size >= 500:
                    break
    if not found[0]:
        sys.exit("no walk of 500 nodes around the datastores tried: the model is too sparse")
    return found


def activate_dense(cli: str, env: dict[str, str], base: str, folder: Path) -> None:
    """Load the denser model (generated into `folder` unless there) and wait until the server
    serves it: store_01000 is only in the large one."""
    if not (folder / "ecosystem.yaml").exists():
        subprocess.run([cli, "example", "generate", str(folder), *DENSE], check=True)
    # it removes 1,800 datastores that workspaces sink: a breaking change, allowed here
    loading = [cli, "load", str(folder), "--allow-breaking"]
    subprocess.run(loading, env=env, check=True, capture_output=True)
    serving(base, "store_01000", 404)


def serving(base: str, store: str, status: int) -> None:
    """Wait until the server answers `status` for the datastore (a model newly activated)."""
    for _ in range(600):
        if httpx.get(f"{base}/api/v1/datastores/{store}").status_code == status:
            return
        time.sleep(0.1)
    sys.exit(f"the server did not switch models within 60 s ({store}: not {status})")


MARKS = ("lineage:start", "lineage:parsed", "lineage:created", "lineage:drawn")
TIMES = """(() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const at = {"html": nav.responseEnd, "dom": nav.domInteractive};
  for (const m of performance.getEntriesByType("mark")) { at[m.name] = m.startTime; }
  return at;
})()"""


def drawn_ms(urls: list[str]) -> list[dict[str, float]]:
    """For each URL, milliseconds from the navigation's start to the page's last byte (html),
    the document parsed (dom), and the lineage script's marks (lineage.js): best of 5, the
    URLs asked in turn so that the machine's load falls on each alike."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    assert executable, "Chromium is missing: make browser"
    best: list[dict[str, float]] = [{"lineage:drawn": float("inf")} for _ in urls]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        for _ in range(5):
            for i, url in enumerate(urls):
                page.goto(url)
                page.wait_for_selector("#graph[data-drawn]", timeout=30_000)
                times = page.evaluate(TIMES)
                if times["lineage:drawn"] < best[i]["lineage:drawn"]:
                    best[i] = times
        browser.close()
    return best


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--keep", type=Path, help="generate the model into (or reuse) this dir")
    parser.add_argument("--database-url", help="a Postgres server instead of the embedded one")
    args = parser.parse_args()
    cli = str(Path(sys.executable).with_name("ecoplane"))
    with tempfile.TemporaryDirectory() as scratch:
        model = args.keep or Path(scratch, "model")
        if not (model / "ecosystem.yaml").exists():
            subprocess.run([cli, "example", "generate", str(model), *SIZE], check=True)
        env = {
            **os.environ,
            # with --keep, the embedded database is kept beside the model (loaded once)
            "ECOPLANE_DATA_DIR": str(model.with_name(f"{model.name}-data") if args.keep else Path(scratch, "data")),
            "ECOPLANE_LOAD_EXAMPLE": "false", "ECOPLANE_SCHEDULER": "false",
            "ECOPLANE_SECURITY_SYNC_ON_ACTIVATION": "false", "ECOPLANE_ANONYMOUS_READ": "true",
            "ECOPLANE_MAX_MODEL_BYTES": str(64 * 2**20), "ECOPLANE_MAX_MODEL_NODES": str(10**7),
        }  # fmt: skip
        env.pop("ECOPLANE_DATABASE_URL", None)
        if args.database_url:
            env["ECOPLANE_DATABASE_URL"] = env["ECOPLANE_WAREHOUSE_URL"] = args.database_url
        port = free_port()
        server = subprocess.Popen(
            [cli, "serve", "--port", str(port)], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(600):
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            # no version active yet, or (kept) the denser one: the large model, activated
            if httpx.get(f"{base}/api/v1/datastores/store_01000").status_code != 200:
                loading = [cli, "load", str(model), "--allow-breaking"]
                subprocess.run(loading, env=env, check=True, capture_output=True)
                serving(base, "store_01000", 200)
            with httpx.Client(base_url=base, timeout=120) as client:
                results = {name: timed(client, url) for name, url in pages(base).items()}
            activate_dense(cli, env, base, model.with_name(f"{model.name}-dense"))
            walk, size = big_walk(base)
            graph, baseline = drawn_ms([base + walk, base + walk + IN_BROWSER])
        finally:
            server.terminate()
            server.wait(timeout=30)
    return report(results, walk, size, graph, baseline)


def report(
    results: dict[str, list[float]],
    walk: str,
    size: int,
    graph: dict[str, float],
    baseline: dict[str, float],
) -> int:
    drawn = graph["lineage:drawn"]
    missed = drawn > GRAPH_MS
    print(f"{'page':22} {'p50 ms':>8} {'p95 ms':>8}")
    for name, spent in results.items():
        p95 = statistics.quantiles(spent, n=20)[18]
        print(f"{name:22} {statistics.median(spent):8.1f} {p95:8.1f}")
        missed |= p95 > PAGE_MS
    print(
        f"lineage graph of {size} nodes ({walk}) drawn in {drawn:.0f} ms (target < {GRAPH_MS:.0f})"
    )
    print(
        f"  baseline, the same graph drawn by cytoscape ({IN_BROWSER}), in turn in the same"
        f" browser: {baseline['lineage:drawn']:.0f} ms; ratio {drawn / baseline['lineage:drawn']:.2f}"
    )
    print(f"  {'ms from the navigation':24} {'served SVG':>10} {'cytoscape':>10}")
    for mark in ("html", "dom", *MARKS):
        print(f"  {mark:24} {graph.get(mark, 0):10.0f} {baseline.get(mark, 0):10.0f}")
    print(f"target: every page's p95 < {PAGE_MS:.0f} ms")
    print("RESULT:", "target missed" if missed else "within target")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
