"""Benchmark: load and validate a model of DataSurface's large test size.

Generates (once, into a temporary directory) 2,000 datastores x 16 datasets x 10 columns,
4,000 workspaces x 22 sinks (or --sinks N) and 1,000 transformers, split into one file per datastore and
workspace; then loads and validates it in fresh processes and prints the seconds of each
phase, the peak RSS, and the ratio of our parse to PyYAML's C loader on the same files
(the baseline, measured in the same run). Exit status 1 when a target is missed.

    .venv/bin/python bench/model_load.py [--runs 3] [--sinks 22] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

TARGET_SECONDS = 5.0
TARGET_RSS_MB = 1536
SIZE = [
    "--datastores", "2000", "--datasets-per-datastore", "16", "--columns-per-dataset", "10",
    "--workspaces", "4000", "--transformers", "1000", "--seed", "7",
]  # fmt: skip

CHILD = """
import json, resource, sys, time
from pathlib import Path
from app.ecosystem.loader import ModelLimits, Timings, load_directory
timings = Timings()
start = time.perf_counter()
model = load_directory(Path(sys.argv[1]), ModelLimits(2**30, 2**32, 10**9), timings=timings)
total = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_SELF)
rss_mb, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
print(json.dumps({**timings, "total": total, "cpu": cpu, "rss_mb": rss_mb, "errors": model.errors,
                  "datastores": len(model.datastores), "workspaces": len(model.workspaces)}))
"""

BASELINE = """
import json, sys, time, yaml
from pathlib import Path
start = time.perf_counter()
for path in sorted(Path(sys.argv[1]).rglob("*.yaml")):
    list(yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader))
print(json.dumps({"parse": time.perf_counter() - start}))
"""


def _run(code: str, model: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", code, str(model)], check=True, capture_output=True, text=True
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sinks", type=int, default=22, help="sinks in each workspace")
    parser.add_argument("--keep", type=Path, help="generate into (or reuse) this directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        model = args.keep or Path(scratch, "model")
        if not (model / "ecosystem.yaml").exists():
            cli = Path(sys.executable).with_name("ecoplane")
            sinks = ["--sinks-per-workspace", str(args.sinks)]
            subprocess.run([str(cli), "example", "generate", str(model), *SIZE, *sinks], check=True)
        size_mb = sum(p.stat().st_size for p in model.rglob("*.yaml")) / 1e6
        files = sum(1 for _ in model.rglob("*.yaml"))
        runs = [_run(CHILD, model) for _ in range(args.runs)]
        baseline = _run(BASELINE, model)
    median = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    print(
        f"model: {files} files, {size_mb:.1f} MB, {median['datastores']:.0f} datastores, "
        f"{median['workspaces']:.0f} workspaces x {args.sinks} sinks, {median['errors']:.0f} errors"
    )
    print(
        f"median of {args.runs} runs (s): parse {median['parse']:.2f}  build {median['build']:.2f}  "
        f"validate {median['validate']:.2f}  positions {median['positions']:.2f}  total {median['total']:.2f}"
        f" (process CPU, imports included: {median['cpu']:.2f} s)"
    )
    print(f"peak RSS: {median['rss_mb']:.0f} MB")
    print(
        f"baseline PyYAML CSafeLoader parse: {baseline['parse']:.2f} s; "
        f"ratio ours/baseline: {median['parse'] / baseline['parse']:.2f}"
    )
    print(
        f"total vs target {TARGET_SECONDS:.1f} s: {median['total'] / TARGET_SECONDS:.2f}; "
        f"RSS vs target {TARGET_RSS_MB} MB: {median['rss_mb'] / TARGET_RSS_MB:.2f}"
    )
    missed = (
        median["total"] > TARGET_SECONDS or median["rss_mb"] > TARGET_RSS_MB or median["errors"] > 0
    )
    print("RESULT:", "target missed" if missed else "within target")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
