"""Benchmark: the security sync of a generated model, against the same SQL run by psql.

A generated model with 1,000 transformers, each in a workspace of its own with 10 sinks. On an
embedded Postgres (or the server of ECOPLANE_BENCH_DATABASE_URL), in two fresh, empty warehouse
databases with their own role prefixes:

  script   the plan's statements (passwords as SCRAM verifiers), one file, `psql -1 -f`
  sync     SecuritySync.apply from empty to converged: inspect, plan, stage 1,000 credentials
           in a local store, apply in one transaction (raw tables, schemas, roles, views,
           grants), promote, verify by planning again
  no-op    SecuritySync.apply again, 5 times: nothing to do, and no DDL sent (counted)

Prints the times and the ratio sync / script; exit status 1 when a target is missed (sync
within 2x of the script, the no-op's median within 0.5 s, zero DDL).

    .venv/bin/python bench/security_sync.py
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg

from app.db.embedded import start_embedded, stop_embedded
from app.db.urls import asyncpg_dsn, with_database
from app.ecosystem.generate import GeneratorSize, generate_model
from app.ecosystem.loader import load_directory
from app.ecosystem.model import Model
from app.security.secrets.local import LocalSecretStore
from app.security.sync import SecuritySync, SyncConfig
from app.security.warehouses.postgres import PostgresWarehouse
from app.security.warehouses.postgres_connection import endpoint
from app.security.warehouses.postgres_scram import scram_verifier
from app.security.warehouses.postgres_sql import quote_ident, quote_literal, sql

SIZE = GeneratorSize(
    datastores=200, datasets_per_datastore=5, columns_per_dataset=8,
    workspaces=1000, sinks_per_workspace=10, transformers=1000,
)  # fmt: skip
MAX_VS_SCRIPT, MAX_NOOP_SECONDS = 2.0, 0.5
LOCKS = 512
NOOP_RUNS = 5  # the target holds for their median (the machine is shared)
DDL = ("CREATE", "ALTER", "DROP", "GRANT", "REVOKE", "COMMENT", "REASSIGN")


async def _show(server: str, setting: str) -> str:
    connection = await asyncpg.connect(asyncpg_dsn(server))
    try:
        return str(await connection.fetchval(f"SHOW {setting}"))
    finally:
        await connection.close()


async def _admin(server: str, *statements: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(server))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def _warehouse(server: str) -> str:
    """A fresh, empty database: the sync makes the raw tables, schemas, roles and views."""
    name = f"bench_wh_{uuid.uuid4().hex[:8]}"
    await _admin(server, f'CREATE DATABASE "{name}"')
    return with_database(server, name)


def _sync_of(connection: asyncpg.Connection, url: str, folder: Path, prefix: str) -> SecuritySync:
    config = SyncConfig(marker=f"{prefix}managed", role_prefix=prefix)
    store = LocalSecretStore(folder)
    return SecuritySync(PostgresWarehouse(connection, endpoint(url)), store, config)


async def _script(url: str, model: Model, folder: Path) -> tuple[float, int]:
    """The plan's statements written out and run by psql in one transaction."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    sync = _sync_of(connection, url, folder / "unused", "bs_")
    plan = await sync.plan(model)
    await connection.close()
    lines = []
    for op in plan.operations:
        password = f" PASSWORD {quote_literal(scram_verifier('x' * 40))}" if op.credential else ""
        lines.append(f"{sql(op)}{password};\n")
    script = folder / "security.sql"
    script.write_text("".join(lines))
    psql = shutil.which("psql") or "/usr/bin/psql"
    start = time.perf_counter()
    subprocess.run(
        [psql, "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-f", str(script), asyncpg_dsn(url)],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - start, len(plan.operations)


async def _sync(url: str, model: Model, folder: Path) -> tuple[float, list[float], int, int]:
    """Empty to converged, then a no-op re-sync with the DDL it sent counted."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    sync = _sync_of(connection, url, folder / "secrets", "bq_")
    start = time.perf_counter()
    applied = await sync.apply(model)
    full = time.perf_counter() - start
    sent: list[str] = []

    def logger(record: Any) -> None:
        sent.append(record.query)

    connection.add_query_logger(logger)
    noops = []
    for _ in range(NOOP_RUNS):
        start = time.perf_counter()
        again = await sync.apply(model)
        noops.append(time.perf_counter() - start)
    await connection.close()
    assert not again.plan.operations
    ddl = sum(1 for q in sent if q.lstrip().upper().startswith(DDL))
    return full, noops, ddl, len(applied.plan.operations)


async def _drop_roles(server: str, *prefixes: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(server))
    try:
        for prefix in prefixes:
            for row in await connection.fetch(
                "SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)", prefix
            ):
                await connection.execute(f"DROP ROLE {quote_ident(row['rolname'])}")
    finally:
        await connection.close()


async def _server(folder: Path) -> str:
    """The bench server; an embedded one gets room for the locks of one big transaction.

    One transaction creating ~15,000 objects holds a lock on each: Postgres's default lock
    table (max_locks_per_transaction 64 x max_connections 100) is too small for it.
    """
    configured = os.environ.get("ECOPLANE_BENCH_DATABASE_URL")
    if configured:
        return configured
    server = start_embedded(folder / "pg")
    await _admin(server, f"ALTER SYSTEM SET max_locks_per_transaction = {LOCKS}")
    stop_embedded()
    return start_embedded(folder / "pg")


async def _main(folder: Path) -> int:
    server = await _server(folder)
    locks = await _show(server, "max_locks_per_transaction")
    print(f"max_locks_per_transaction = {locks} (the sync of this model needs about {LOCKS})")
    generate_model(folder / "model", SIZE)
    model = load_directory(folder / "model")
    transformers = sum(1 for t in model.transformers.values() if not t.builtin)
    print(
        f"model: {transformers} transformers, {len(model.workspaces)} workspaces, {model.errors} errors"
    )
    script_url, sync_url = await _warehouse(server), await _warehouse(server)
    try:
        script, statements = await _script(script_url, model, folder)
        full, noops, ddl, operations = await _sync(sync_url, model, folder)
    finally:
        for url in (script_url, sync_url):
            database = quote_ident(url.rsplit("/", 1)[-1].split("?")[0])
            await _admin(server, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        await _drop_roles(server, "bs_", "bq_")
    ratio = full / script
    print(f"script (psql -1, {statements} operations): {script:8.2f} s")
    print(f"sync, empty → converged ({operations} operations, verify included): {full:8.2f} s")
    noop = statistics.median(noops)
    runs = " / ".join(f"{n:.3f}" for n in noops)
    print(
        f"sync, no-op re-sync ({NOOP_RUNS} runs, the first right after the full sync): {runs} s,"
        f" {ddl} DDL statements"
    )
    print(
        f"no-op median: {noop:.3f} s, max {max(noops):.3f} s (target: median <= {MAX_NOOP_SECONDS} s)"
    )
    print(f"load average: {os.getloadavg()[0]:.2f}")
    print(f"ratio sync / script: {ratio:.2f}  (target ≤ {MAX_VS_SCRIPT})")
    ok = ratio <= MAX_VS_SCRIPT and noop < MAX_NOOP_SECONDS and ddl == 0
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="ecoplane-bench-security-") as temporary:
        sys.exit(asyncio.run(_main(Path(temporary))))
