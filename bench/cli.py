"""Benchmark: the `ecoplane` command line as a user runs it, whole processes.

Prints, each against a baseline measured in the same run:
- `ecoplane --help`: median wall time of a few runs (target: under 0.3 s);
- `ecoplane validate` of the large generated model (bench/model_load.py's SIZE: 2,000 datastores,
  32,000 datasets, 4,000 workspaces, 1,000 transformers) at 1x and 2x: wall, CPU (user+sys) and
  peak RSS, and the ratio to parsing the same files with PyYAML's C loader, runs interleaved
  (target: <= 0.3x the parse's wall at 1x; peak RSS <= 400 MB at 1x and linear: 2x <= 2.3x 1x);
- `ecoplane example generate` at 1x and 2x (target: linear, 2x <= 2.5x the 1x user CPU time:
  the generator's own work; its system time, creating thousands of files, swung from 1.1 to
  3.2 s between two runs of the same 1x here and is printed apart).
Exit status 1 when a target is missed.

    .venv/bin/python bench/cli.py [--runs 3] [--scales 1,2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HELP_TARGET_SECONDS = 0.3
VALIDATE_TARGET_RATIO = 0.3
RSS_TARGET_MB = 400
RSS_LINEAR = 2.3  # peak RSS at 2x over 1x: linear is ~2 (the interpreter's own ~40 MB is fixed)
GENERATE_LINEAR = 2.5  # generate at 2x over 1x: linear is ~2
BASE = {"datastores": 2000, "workspaces": 4000, "transformers": 1000}
FIXED = {"datasets-per-datastore": 16, "columns-per-dataset": 10, "sinks-per-workspace": 22}
BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
# The large model is over the default limits on purpose (24 MB, ~3 M nodes at 1x).
LIMITS = {"ECOPLANE_MAX_MODEL_BYTES": str(2**31), "ECOPLANE_MAX_MODEL_NODES": str(10**9)}
PYYAML_PARSE = """
import sys, yaml
from pathlib import Path
for path in sorted(Path(sys.argv[1]).rglob("*.yaml")):
    list(yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader))
"""


def size_args(scale: int) -> list[str]:
    """The `example generate` options of a scale of the large model."""
    sized = {name: count * scale for name, count in BASE.items()} | FIXED
    return [arg for name, count in sized.items() for arg in (f"--{name}", str(count))] + [
        "--seed",
        "7",
    ]


def measure(command: list[str]) -> dict[str, float]:
    """Run a process to its end: wall seconds, CPU seconds (user+sys), peak RSS in MB."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ | LIMITS
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    errors = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"{command[:3]} exited {process.returncode}: {errors[-2000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return {"wall": wall, "cpu": cpu, "user": usage.ru_utime, "rss_mb": usage.ru_maxrss / 1024}


def median(runs: list[dict[str, float]], key: str) -> float:
    """The median of one figure over runs."""
    return statistics.median(run[key] for run in runs)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="interleaved runs per figure")
    parser.add_argument("--scales", default="1,2", help="model sizes, multiples of the large one")
    parser.add_argument("--keep", type=Path, help="generate into (or reuse) DIR/<scale>x")
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    cli = str(BIN / "ecoplane")
    # The app's bytecode compiled first, as an installed package has it: where
    # PYTHONDONTWRITEBYTECODE is set (this machine), every run would otherwise compile it anew.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "app")], check=True)
    missed: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        root = args.keep or Path(scratch)
        help_runs = [measure([cli, "--help"]) for _ in range(max(5, args.runs))]
        help_wall = median(help_runs, "wall")
        print(f"ecoplane --help: {help_wall:.3f} s wall, {median(help_runs, 'cpu'):.3f} s CPU "
              f"(median of {len(help_runs)}; target < {HELP_TARGET_SECONDS} s)")  # fmt: skip
        if help_wall >= HELP_TARGET_SECONDS:
            missed.append("--help time")
        generated: dict[int, dict[str, float]] = {}
        for scale in scales:
            model = root / f"{scale}x"
            if not (model / "ecosystem.yaml").exists():
                generated[scale] = measure([cli, "example", "generate", str(model),
                                            *size_args(scale)])  # fmt: skip
        for scale in scales:
            model = root / f"{scale}x"
            size_mb = sum(p.stat().st_size for p in model.rglob("*.yaml")) / 1e6
            ours: list[dict[str, float]] = []
            theirs: list[dict[str, float]] = []
            for _ in range(args.runs):  # interleaved: both see the same machine load
                ours.append(measure([cli, "validate", str(model)]))
                theirs.append(measure([sys.executable, "-c", PYYAML_PARSE, str(model)]))
            wall, parse = median(ours, "wall"), median(theirs, "wall")
            cpu, parse_cpu = median(ours, "cpu"), median(theirs, "cpu")
            rss = median(ours, "rss_mb")
            print(f"ecoplane validate {scale}x ({size_mb:.0f} MB of YAML): {wall:.2f} s wall, "
                  f"{cpu:.2f} s CPU, peak RSS {rss:.0f} MB | PyYAML C parse {parse:.2f} s wall, "
                  f"{parse_cpu:.2f} s CPU | ratio wall {wall / parse:.2f}, CPU "
                  f"{cpu / parse_cpu:.2f} (median of {args.runs})")  # fmt: skip
            if scale == 1:
                if wall / parse > VALIDATE_TARGET_RATIO:
                    missed.append(f"validate {wall / parse:.2f}x the parse")
                if rss > RSS_TARGET_MB:
                    missed.append(f"validate peak RSS {rss:.0f} MB")
                rss_1x = rss
            elif scale == 2 and 1 in scales:
                print(f"peak RSS 2x/1x: {rss / rss_1x:.2f} (linear ~2, target <= {RSS_LINEAR})")
                if rss / rss_1x > RSS_LINEAR:
                    missed.append("validate memory not linear")
        if 1 in generated and 2 in generated:
            one, two = generated[1], generated[2]
            # user CPU: the generator's own work; creating 6,000-12,000 files is system time that
            # follows the file system's mood (1.1-3.2 s for the same 1x here), printed apart
            ratio = two["user"] / one["user"]
            shown = [f"{w}x {r['wall']:.2f} s wall, {r['user']:.2f} s user CPU, "
                     f"{r['cpu'] - r['user']:.2f} s system" for w, r in ((1, one), (2, two))]  # fmt: skip
            print(f"example generate: {'; '.join(shown)}; ratio of user CPU {ratio:.2f} "
                  f"(linear ~2, target <= {GENERATE_LINEAR})")  # fmt: skip
            if ratio > GENERATE_LINEAR:
                missed.append("generate not linear")
        else:
            print("example generate: not timed (models reused from --keep)")
    print(f"machine load (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("RESULT:", f"target missed: {', '.join(missed)}" if missed else "within target")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
