"""Benchmark: 500 transformer runs through the Kubernetes runner, against the bare create.

The Kubernetes API is the test double of tests/jobs/kube_double.py, served by a child process
(its CPU is not ecoplane's) with every Job succeeding at once and schema checks off. The
control-plane database is an embedded Postgres (or ECOPLANE_BENCH_DATABASE_URL's server).

  ecoplane     JobService.start_transformer for 500 transformers (16 at a time): run row,
               Job created, run marked running; then followed by the watch until every run
               is recorded succeeded (pod listed, log read, row finished)
  bare create  500 BatchV1Api.create_namespaced_job calls of the same bodies' shape, with the
               same client configuration, 16 at a time

Both windows start with a fresh client (made inside the window) and after a garbage collection,
with what the setup made frozen out of the collector's scans, as the service freezes what its
start made (app/main.py).
Setup, outside both: the model stored, and each transformer's credentials Secret written through
the Kubernetes secret store (`ecoplane-dt-t<i>`, as the security sync writes it).

The two windows alternate `--repeat` times (bare, ecoplane, bare, ...: the machine's load falls
on both alike). Prints, as medians: runs started per second, this process's CPU per run
(Postgres and the double excluded), the end-to-end time, and the ratio of ecoplane's CPU per
run to the bare create's, each repetition's and their median (target: median <= 1.5; exit
status 1 when missed).

    .venv/bin/python bench/jobs.py [--runs 500] [--repeat 10]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kubernetes_asyncio import client  # noqa: E402

from app.catalog.store import store_model  # noqa: E402
from app.db.embedded import start_embedded  # noqa: E402
from app.db.engine import create_engine  # noqa: E402
from app.db.migrate import upgrade  # noqa: E402
from app.db.urls import asyncpg_dsn, with_database  # noqa: E402
from app.ecosystem.loader import load_texts  # noqa: E402
from app.jobs.job_body import job_body  # noqa: E402
from app.jobs.pooled import jobs_pool  # noqa: E402
from app.jobs.runners.kubernetes import KubernetesRunner  # noqa: E402
from app.jobs.service import JobService  # noqa: E402
from app.jobs.spec import TransformerCode, transformer_job  # noqa: E402
from app.kube import api_client  # noqa: E402
from app.security.secrets.base import Credentials  # noqa: E402
from app.security.secrets.kubernetes import KubernetesSecretStore  # noqa: E402
from app.settings import Settings  # noqa: E402
from tests.ecosystem.modeltext import files  # noqa: E402
from tests.jobs.model import python, workspace  # noqa: E402

CONCURRENCY = 16
TARGET = 1.5


def _model(count: int) -> object:
    documents: dict[str, str | None] = {
        f"bench/t{i}.yaml": workspace(
            f"W{i}",
            [("Customers", "customers")],
            f"t{i}",
            "{external: true}",
            python("ok"),
            f"Out{i}",
        )
        for i in range(count)
    }
    return load_texts(files(documents))


async def _in_parallel(count: int, work: Callable[[int], Awaitable[object]]) -> None:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int) -> None:
        async with gate:
            await work(i)

    await asyncio.gather(*(one(i) for i in range(count)))


async def _database(server: str, count: int) -> str:
    name = f"ecoplane_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(asyncpg_dsn(server))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = with_database(server, name)
    engine = create_engine(url)
    await upgrade(engine)
    await store_model(engine, _model(count), source="bench")  # type: ignore[arg-type]
    await engine.dispose()
    return url


async def _ecoplane(url: str, settings: Settings, count: int) -> tuple[float, float, float]:
    pool = await jobs_pool(asyncpg_dsn(url), size=CONCURRENCY + 4)
    service = JobService(pool, settings, KubernetesRunner(settings))
    try:
        await service.runner.reference(
            transformer_job(TransformerCode("w", "w", "python"), 0, settings)
        )
        before = await pool.fetchval("SELECT coalesce(max(id), 0) FROM runs")
        gc.collect()
        cpu, wall = time.process_time(), time.perf_counter()
        await _in_parallel(count, lambda i: service.start_transformer(f"t{i}", "manual"))
        started = time.perf_counter() - wall
        await service.idle()
        end_to_end, cpu = time.perf_counter() - wall, time.process_time() - cpu
        done = await pool.fetchval(
            "SELECT count(*) FROM runs WHERE state = 'succeeded' AND id > $1", before
        )
        assert done == count, f"only {done} of {count} runs succeeded"
        jobs = [r["runner_ref"] for r in await pool.fetch(QUERY_JOBS, before)]
    finally:
        await service.close()
        await pool.close()
    await _forget(settings, jobs)
    return started, end_to_end, cpu


QUERY_JOBS = "SELECT runner_ref FROM runs WHERE id > $1"


async def _forget(settings: Settings, names: list[str]) -> None:
    """Delete a window's Jobs, outside it: the next window's watch lists only its own (a
    cluster deletes finished Jobs after their TTL; the double keeps them)."""
    api = await api_client(settings.kubeconfig)
    batch = client.BatchV1Api(api)
    try:
        await _in_parallel(
            len(names),
            lambda i: batch.delete_namespaced_job(names[i], "ecoplane", _preload_content=False),
        )
    finally:
        await api.close()


async def _credentials(settings: Settings, count: int) -> None:
    """Every transformer's credentials Secret, written as the security sync writes them (setup:
    the runner may check that a transformer's Secret exists before creating its Job)."""
    store = KubernetesSecretStore(settings.jobs_namespace, settings.kubeconfig)

    async def write(i: int) -> None:
        name = f"t{i}"
        await store.stage(name, Credentials(f"dt_{name}", "bench-only", "db", 5432, "warehouse"))
        await store.promote(name)

    try:
        await _in_parallel(count, write)
    finally:
        await store.close()


async def _bare(settings: Settings, count: int, repetition: int) -> tuple[float, float]:
    code = TransformerCode("bare", "W", "python", module="m")
    first = 10**6 * (repetition + 1)  # each repetition's Jobs are new
    bodies = [
        job_body(
            transformer_job(code, first + i, settings), "ecoplane", 60, settings.log_tail_lines
        )
        for i in range(count)
    ]
    gc.collect()  # neither side pays for the setup's garbage
    cpu, wall = time.process_time(), time.perf_counter()
    api = await api_client(settings.kubeconfig)  # made inside the window, as ecoplane's runner's
    batch = client.BatchV1Api(api)
    try:
        # the runner sends its body as a dict too (the client accepts one beside a V1Job)
        create = batch.create_namespaced_job
        await _in_parallel(count, lambda i: create("ecoplane", bodies[i]))  # type: ignore[arg-type]
        measured = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        await api.close()
    await _forget(settings, [body["metadata"]["name"] for body in bodies])
    return measured


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    count = args.runs
    bare: list[tuple[float, float]] = []
    ours: list[tuple[float, float, float]] = []
    with tempfile.TemporaryDirectory() as scratch:
        double = subprocess.Popen(
            [sys.executable, "-m", "tests.jobs.kube_double", scratch],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert double.stdout is not None and double.stdout.readline().strip() == "ready"
            settings = Settings(
                database_url="postgresql://unused", runner="kubernetes",
                kubeconfig=Path(scratch, "kubeconfig"), data_dir=Path(scratch), scheduler=False,
            )  # fmt: skip
            server = os.environ.get("ECOPLANE_BENCH_DATABASE_URL") or start_embedded(
                Path(scratch, "pg")
            )
            url = await _database(server, count)
            await _credentials(settings, count)
            gc.freeze()  # as the service does once started (app/main.py): both windows alike
            for repetition in range(args.repeat):
                bare.append(await _bare(settings, count, repetition))
                ours.append(await _ecoplane(url, settings, count))
        finally:
            double.terminate()
            double.wait()
    ratios = [cpu / bare_cpu for (_, _, cpu), (_, bare_cpu) in zip(ours, bare, strict=True)]
    ratio = statistics.median(ratios)
    started, end_to_end, cpu = (statistics.median(r[i] for r in ours) for i in range(3))
    bare_wall, bare_cpu = (statistics.median(b[i] for b in bare) for i in range(2))
    print(
        f"runs: {count} per window, {CONCURRENCY} started at a time, {args.repeat} windows each"
        f" (bare and ecoplane alternating); Kubernetes: the test double (child process);"
        f" medians; load {os.getloadavg()[0]:.2f}"
    )
    print(
        f"ecoplane: {count / started:,.0f} runs/s started; all succeeded after {end_to_end:.2f} s"
    )
    print(
        f"ecoplane CPU per run (start, follow, record; this process): {cpu / count * 1000:.2f} ms"
    )
    print(
        f"bare create_namespaced_job: {count / bare_wall:,.0f} creates/s, CPU {bare_cpu / count * 1000:.2f} ms each"
    )
    print("ecoplane CPU per run / bare create, each window:", " ".join(f"{r:.2f}" for r in ratios))
    print(f"median ecoplane CPU per run / bare create: {ratio:.2f} (target <= {TARGET})")
    print(f"ecoplane start time per run / bare create time: {started / bare_wall:.2f}")
    print("RESULT:", "within target" if ratio <= TARGET else "target missed")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
