"""Benchmark: data ingestion of a 1,000,000-row, 10-column table, against a bare COPY pipe.

On the machine's PostgreSQL (ECOPLANE_BENCH_DATABASE_URL, default the local server at
127.0.0.1:5432 as postgres), in databases of its own (a source, a warehouse, a control plane:
created, and dropped at the end, with the roles the security sync made under a prefix of its
own). The security sync makes the raw tables and the `di_` roles, and the worker writes as its
datastore's `di_` role, as a run does (least privilege: no table of its own, no ALTER):

  bare      `psql -c "COPY (SELECT ...) TO STDOUT" | psql -c "COPY bare FROM STDIN"`: the same
            rows into an empty table of the warehouse shaped as the raw table (its primary key
            too), nothing else
  first     `python -m workers.ingest` (the real worker, a subprocess), batch 1 of the live
            datastore and of the forensic one, both read from the same source table
  second    1 % of the source rows changed, then batch 2 of each

The whole is repeated ROUNDS times (the raw tables and `bare` emptied between rounds): a busy
machine's noise is in each round, the targets are judged on the medians. Each step starts from a
CHECKPOINT (a superuser's, or pg_checkpoint's). Prints each time, the ratios (first / bare,
target <= 1.5; second / first, target <= 1.0), the rows each second batch wrote (exactly the
changed rows, live and forensic), the worker's peak RSS (os.wait4's ru_maxrss, target < 200 MB)
and CPU time; exit status 1 when a target is missed.

    .venv/bin/python bench/ingest.py [ROWS [ROUNDS]]
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from app.catalog.store import store_model
from app.db.engine import create_engine
from app.db.migrate import upgrade
from app.db.urls import asyncpg_dsn, with_database
from app.ecosystem.loader import load_texts
from app.ecosystem.names import ingestion_credentials
from app.security.command import run_security
from app.security.secrets.secret_files import SecretFiles
from app.settings import Settings

SERVER = os.environ.get(
    "ECOPLANE_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
ROOT = Path(__file__).resolve().parents[1]
ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
CHANGED = ROWS // 100
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3  # each target's ratio: the median of these
COLUMNS = """
        - {name: id, type: bigint, primaryKey: true, nullable: false}
        - {name: account_id, type: bigint, nullable: false}
        - {name: holder, type: varchar(64), nullable: false}
        - {name: amount, type: "decimal(18,2)", nullable: false}
        - {name: quantity, type: integer}
        - {name: currency, type: char(3), nullable: false}
        - {name: booked_at, type: timestamptz, nullable: false}
        - {name: settled, type: boolean, nullable: false}
        - {name: score, type: double}
        - {name: note, type: text}"""
SELECT = (
    "SELECT i AS id, i % 50000 AS account_id, 'holder ' || i AS holder,"
    " round((i * 1.37)::numeric % 100000, 2) AS amount, (i % 1000)::int AS quantity,"
    " (ARRAY['USD','EUR','GBP','JPY'])[1 + i % 4]::char(3) AS currency,"
    " timestamptz '2026-01-01' + i * interval '1 second' AS booked_at, i % 3 = 0 AS settled,"
    " (i % 997) / 7.0 AS score, CASE WHEN i % 5 = 0 THEN NULL ELSE 'note ' || (i % 100) END AS note"
    " FROM generate_series(1, $ROWS) i"
)
DDL = (
    "id bigint PRIMARY KEY, account_id bigint NOT NULL, holder varchar(64) NOT NULL,"
    " amount numeric(18,2) NOT NULL, quantity integer, currency char(3) NOT NULL,"
    " booked_at timestamptz NOT NULL, settled boolean NOT NULL, score double precision, note text"
)
BASE = {
    "ecosystem.yaml": """apiVersion: ecoplane.io/v1
kind: Ecosystem
metadata: {name: Bench}
spec:
  classifications: [internal]
  vendors: [{name: AWS, cloud: aws, locations: [{name: us-east-1}]}]
  platforms: [{name: Yellow, dataPlatforms: [{name: YellowLive, retention: live-only, latency: minutes}]}]
  zones: [{name: USA, owners: ["github:@bench/owners"]}]
""",
    "zones/usa/zone.yaml": """apiVersion: ecoplane.io/v1
kind: GovernanceZone
metadata: {name: USA}
spec:
  teams: [{name: Ops, owners: ["github:ops"]}]
""",
    "zones/usa/team.yaml": """apiVersion: ecoplane.io/v1
kind: Team
metadata: {name: Ops, zone: USA}
spec: {}
""",
}
STORE = """apiVersion: ecoplane.io/v1
kind: Datastore
metadata: {{name: {name}, zone: USA, team: Ops}}
spec:
  ingestion:
    kind: sql-snapshot
    source: {{host: "{host}", port: {port}, database: {database}}}
    credential: bench_reader
    milestoning: {milestoning}
  datasets:
    - name: ledger
      classification: [internal]
      columns:{columns}
"""


def _model(database: str) -> Any:
    url = make_url(SERVER)
    host, port = url.host or str(url.query.get("host")), url.port or 5432
    texts: dict[str, str | bytes] = dict(BASE)
    for name, milestoning in (("BenchLive", "live"), ("BenchForensic", "forensic")):
        texts[f"zones/usa/{name}.yaml"] = STORE.format(
            name=name, host=host, port=port, database=database, milestoning=milestoning,
            columns=COLUMNS,
        )  # fmt: skip
    model = load_texts(texts)
    assert model.errors == 0, [p.as_line() for p in model.problems]
    return model


def _psql(database: str) -> list[str]:
    url = make_url(with_database(SERVER, database))
    host = url.host or str(url.query.get("host"))
    return ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", str(url.port or 5432),
            "-U", url.username or "postgres", "-d", database]  # fmt: skip


def bare_pipe(source: str, warehouse: str) -> float:
    """The baseline: COPY out of the source piped into COPY into an empty warehouse table."""
    out = [*_psql(source), "-c", "COPY (SELECT * FROM ledger) TO STDOUT"]
    into = [*_psql(warehouse), "-c", "COPY bare FROM STDIN"]
    started = time.perf_counter()
    reader = subprocess.Popen(out, stdout=subprocess.PIPE)
    writer = subprocess.run(into, stdin=reader.stdout, check=True)
    assert reader.wait() == 0 and writer.returncode == 0
    return time.perf_counter() - started


def worker(
    datastore: str, control: str, login: dict[str, str]
) -> tuple[float, int, dict[str, Any], float]:
    """One batch by the real worker, as the datastore's di_ role (`login`, libpq variables):
    seconds, peak RSS (kB, os.wait4), the record it printed, its CPU seconds (user + sys: what
    the worker itself spent, however loaded the machine)."""
    env = {
        **os.environ, **login, "ECOPLANE_DATABASE_URL": control,
        "ECOPLANE_SOURCE_USER": make_url(SERVER).username or "postgres",
        "ECOPLANE_SOURCE_PASSWORD": make_url(SERVER).password or "",
    }  # fmt: skip
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "workers.ingest", datastore], env=env, cwd=ROOT,
            stdout=out, stderr=err,
        )  # fmt: skip
        _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode:
            raise SystemExit(f"the worker failed: {err.read().decode()[-2000:]}")
        cpu = usage.ru_utime + usage.ru_stime
        return seconds, usage.ru_maxrss, json.loads(out.read()), cpu


async def main() -> int:
    tag = uuid.uuid4().hex[:8]
    source, warehouse, control = (f"bench_ingest_{k}_{tag}" for k in ("src", "wh", "ctl"))
    server = await asyncpg.connect(asyncpg_dsn(SERVER))
    for database in (source, warehouse, control):
        await server.execute(f'CREATE DATABASE "{database}"')
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            return await _measure(source, warehouse, control, Path(data_dir), f"bench{tag}_")
    finally:
        for database in (source, warehouse, control):
            await server.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        roles = await server.fetch(
            "SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)", f"bench{tag}_"
        )
        for role in roles:
            await server.execute(f'DROP ROLE "{role["rolname"]}"')
        await server.close()


async def _secure(control: str, warehouse: str, data_dir: Path, prefix: str) -> dict[str, Any]:
    """The security sync applied (raw tables, di_ roles): each datastore's di_ login."""
    settings = Settings(
        database_url=control, warehouse_url=warehouse, data_dir=data_dir, role_prefix=prefix,
        scheduler=False, security_sync_on_activation=False,
    )  # fmt: skip
    assert await run_security("apply", settings, out=io.StringIO()) == 0
    files = SecretFiles(data_dir / "secrets")
    return {
        d: await files.credentials(ingestion_credentials(d)) for d in ("BenchLive", "BenchForensic")
    }


async def _measure(source: str, warehouse: str, control: str, data_dir: Path, prefix: str) -> int:
    src = await asyncpg.connect(asyncpg_dsn(with_database(SERVER, source)))
    await src.execute(f"CREATE TABLE ledger ({DDL})")
    await src.execute(f"INSERT INTO ledger {SELECT.replace('$ROWS', str(ROWS))}")
    await src.execute("VACUUM ANALYZE ledger")
    wh = await asyncpg.connect(asyncpg_dsn(with_database(SERVER, warehouse)))
    await wh.execute(f"CREATE TABLE bare ({DDL})")  # the raw table's shape, its key too
    engine = create_engine(with_database(SERVER, control))
    await upgrade(engine)
    await store_model(engine, _model(source), source="bench")
    await engine.dispose()
    control_url, warehouse_url = (with_database(SERVER, d) for d in (control, warehouse))
    logins = await _secure(control_url, warehouse_url, data_dir, prefix)

    ratios: dict[str, list[float]] = {}  # each target's ratio, one per round
    missed = []
    print(f"rows {ROWS:,}, changed {CHANGED:,}, rounds {ROUNDS}")
    for number in range(1, ROUNDS + 1):
        if number > 1:  # the warehouse as before the first round; the source keeps its rows
            await wh.execute("TRUNCATE bare, raw.benchlive__ledger, raw.benchforensic__ledger")
        missed += await _round(number, src, wh, source, warehouse, control_url, logins, ratios)
    await src.close()
    await wh.close()
    for name, values in ratios.items():
        median, target = statistics.median(values), 1.5 if name.endswith("bare") else 1.0
        print(
            f"{name}: median {median:.2f} (target {target}) of {', '.join(f'{v:.2f}' for v in values)}"
        )
        if median > target:
            missed.append(f"{name}: median {median:.2f} (target {target})")
    for line in missed:
        print(f"MISSED {line}")
    return 1 if missed else 0


async def _round(
    number: int, src: asyncpg.Connection, wh: asyncpg.Connection, source: str, warehouse: str,
    control_url: str, logins: dict[str, Any], ratios: dict[str, list[float]],
) -> list[str]:  # fmt: skip
    """One round: the bare pipe, both first batches, 1 % of the source changed, both second
    batches; each time and ratio printed, the ratios kept, what missed a target returned."""
    wal: dict[str, float] = {}  # MB of WAL the server wrote while each step ran (all databases)

    async def logged(step: str, run: Callable[[], Any]) -> Any:
        # each step starts from a checkpoint: none pays for writing out another step's pages
        # (before, the forensic first batch, third in line, met the checkpoint that the WAL of
        # the source's fill, the bare pipe and the live batch had made due)
        await wh.execute("CHECKPOINT")
        before = await wh.fetchval("SELECT pg_current_wal_lsn()")
        result = run()
        wal[step] = float(
            await wh.fetchval("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1) / 1048576", before)
        )
        return result

    bare = await logged("bare", lambda: bare_pipe(source, warehouse))
    stores = ("BenchLive", "BenchForensic")
    first = {d: await logged(f"{d}1", partial(worker, d, control_url, logins[d])) for d in stores}
    await src.execute("UPDATE ledger SET amount = amount + 1, note = 'changed' WHERE id % 100 = 0")
    # the source cleaned after its update, as after its fill: else the first reader, the live
    # second batch, prunes the 10,000 dead versions (WAL, full-page images) and the forensic not
    await src.execute("VACUUM ANALYZE ledger")
    second = {d: await logged(f"{d}2", partial(worker, d, control_url, logins[d])) for d in stores}
    closing = second["BenchForensic"][2]["number"]
    forensic = await wh.fetchrow(
        "SELECT count(*) AS versions, count(*) FILTER (WHERE ecoplane_batch_out = $1) AS closed"
        " FROM raw.benchforensic__ledger",
        closing,
    )
    load = "load average {:.1f}, {:.1f}, {:.1f}".format(*os.getloadavg())
    print(f"round {number}: bare pipe {bare:.2f} s; {load}")
    print("WAL written (MB): " + ", ".join(f"{step} {mb:.0f}" for step, mb in wal.items()))
    missed = []
    for store in stores:
        (s1, rss1, b1, cpu1), (s2, rss2, b2, cpu2) = first[store], second[store]
        written = b2["inserted"] + b2["updated"] + b2["deleted"]
        print(
            f"{store}: first {s1:.2f} s ({s1 / bare:.2f}x bare; {_phases(s1, b1)}), second"
            f" {s2:.2f} s ({s2 / s1:.2f}x first; {_phases(s2, b2)}), second wrote {written:,}"
            f" (updated {b2['updated']:,}), peak RSS {max(rss1, rss2) / 1024:.0f} MB,"
            f" worker CPU {cpu1:.2f} s and {cpu2:.2f} s"
        )
        ratios.setdefault(f"{store} first / bare", []).append(s1 / bare)
        ratios.setdefault(f"{store} second / first", []).append(s2 / s1)
        if (b1["inserted"], b2["updated"], b2["inserted"], b2["deleted"]) != (ROWS, CHANGED, 0, 0):
            missed.append(f"{store}: the second batch wrote other rows than the changed ones")
        if max(rss1, rss2) >= 200 * 1024:
            missed.append(f"{store}: peak RSS {max(rss1, rss2) / 1024:.0f} MB (target < 200 MB)")
    assert forensic is not None
    if (forensic["versions"], forensic["closed"]) != (ROWS + CHANGED, CHANGED):
        missed.append(f"forensic table holds {dict(forensic)}")
    print(
        f"forensic versions {forensic['versions']:,}, closed by batch {closing}"
        f" {forensic['closed']:,}"
    )
    return [f"round {number}: {line}" for line in missed]


def _phases(seconds: float, record: dict[str, Any]) -> str:
    """Where a worker's time went: reading (the COPY, and the staged key), merging, and the
    rest (the interpreter and its imports, the model, the connections, the batch records)."""
    read, merge = record["read_seconds"], record["merge_seconds"]
    return f"read {read:.2f} merge {merge:.2f} start and records {seconds - read - merge:.2f}"


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
