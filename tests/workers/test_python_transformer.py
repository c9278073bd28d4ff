"""`python -m workers.python_transformer MODULE` as a real child process on a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from app.db.urls import asyncpg_dsn
from tests.workers.conftest import libpq_env, run_worker
from workers.python_transformer import TransformerContext
from workers.python_transformer.context import ContextError

HARNESS = "workers.python_transformer"
MODULES = "tests.workers.transformers"
CONTEXT = {
    "ECOPLANE_RUN_ID": "41",
    "ECOPLANE_TRANSFORMER": "copy_things",
    "ECOPLANE_WORKSPACE": "Harness",
    "ECOPLANE_INPUT_SCHEMA": "ws_harness",
    "ECOPLANE_OUTPUT_SCHEMA": "out_copy_things",
}


@pytest.fixture
async def admin(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """The test database with a workspace view of three things and an output table of one row."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    await connection.execute(
        """
        CREATE SCHEMA raw; CREATE SCHEMA ws_harness; CREATE SCHEMA out_copy_things;
        CREATE TABLE raw.things__things AS SELECT generate_series(1, 3)::bigint AS id;
        CREATE VIEW ws_harness.things__things AS SELECT id FROM raw.things__things;
        CREATE TABLE out_copy_things.copied (
            id bigint PRIMARY KEY, run_id bigint, transformer text, workspace text);
        INSERT INTO out_copy_things.copied VALUES (0, 1, 'an earlier run', 'Harness');
        """
    )
    yield connection
    await connection.close()


async def _rows(admin: asyncpg.Connection) -> list[tuple[object, ...]]:
    found = await admin.fetch("SELECT * FROM out_copy_things.copied ORDER BY id")
    return [tuple(r) for r in found]


async def test_run_writes_in_one_transaction_that_commits(
    admin: asyncpg.Connection, database_url: str
) -> None:
    done = run_worker(HARNESS, f"{MODULES}.copies", env={**libpq_env(database_url), **CONTEXT})
    assert done.returncode == 0, done.stderr
    assert "copied into out_copy_things" in done.stdout
    assert f"{MODULES}.copies.run committed (run 41)" in done.stdout
    assert await _rows(admin) == [
        (0, 1, "an earlier run", "Harness"),
        *[(i, 41, "copy_things", "Harness") for i in (1, 2, 3)],  # the context, from the env
    ]


async def test_a_failing_run_rolls_back_and_exits_1_with_the_traceback(
    admin: asyncpg.Connection, database_url: str
) -> None:
    before = await _rows(admin)
    env = {**libpq_env(database_url), **CONTEXT, "PGPASSWORD": "never-printed-password"}
    done = run_worker(HARNESS, f"{MODULES}.breaks", env=env)
    assert done.returncode == 1
    assert "Traceback (most recent call last)" in done.stderr
    assert "RuntimeError: the second step broke" in done.stderr
    assert "everything it wrote was rolled back" in done.stderr
    assert await _rows(admin) == before  # the row it wrote is gone
    assert "never-printed-password" not in done.stdout + done.stderr


async def test_a_run_may_not_commit_by_itself(admin: asyncpg.Connection, database_url: str) -> None:
    before = await _rows(admin)
    done = run_worker(HARNESS, f"{MODULES}.commits", env={**libpq_env(database_url), **CONTEXT})
    assert done.returncode == 1 and "commit() forbidden" in done.stderr
    assert await _rows(admin) == before


def test_main_returns_the_exit_status() -> None:
    seven = run_worker(HARNESS, f"{MODULES}.exits", env={**CONTEXT, "ECOPLANE_TEST_STATUS": "7"})
    assert seven.returncode == 7 and "main ran for copy_things" in seven.stdout
    assert run_worker(HARNESS, f"{MODULES}.exits", env={}).returncode == 0  # None: success


def test_a_module_with_neither_run_nor_main_exits_2() -> None:
    done = run_worker(HARNESS, f"{MODULES}.idle", env=CONTEXT)
    assert done.returncode == 2
    assert f"{MODULES}.idle defines neither run(connection, context) nor main()" in done.stderr


def test_a_module_that_cannot_be_imported_exits_1() -> None:
    done = run_worker(HARNESS, f"{MODULES}.absent", env=CONTEXT)
    assert done.returncode == 1
    assert f"No module named '{MODULES}.absent'" in done.stderr
    assert run_worker(HARNESS, env={}).returncode == 2  # no module named at all: usage


def test_a_run_outside_a_run_environment_is_refused() -> None:
    env = {k: v for k, v in CONTEXT.items() if k != "ECOPLANE_OUTPUT_SCHEMA"}
    done = run_worker(HARNESS, f"{MODULES}.copies", env=env)
    assert done.returncode == 2 and "ECOPLANE_OUTPUT_SCHEMA not set" in done.stderr


def test_an_unreachable_warehouse_fails_without_the_password() -> None:
    env = {
        **CONTEXT, "PGHOST": "127.0.0.1", "PGPORT": "1", "PGUSER": "dt_copy_things",
        "PGDATABASE": "warehouse", "PGPASSWORD": "never-printed-password",
    }  # fmt: skip
    done = run_worker(HARNESS, f"{MODULES}.copies", env=env)
    assert done.returncode == 1
    assert "cannot connect to the warehouse as dt_copy_things@127.0.0.1:1/warehouse" in done.stderr
    assert "never-printed-password" not in done.stdout + done.stderr


def test_the_context_names_views_and_tables_physically() -> None:
    context = TransformerContext.from_environment(CONTEXT)
    assert context.run_id == 41 and context.workspace == "Harness"
    view = context.input("Customers", "Accounts").as_string(None)
    assert view == '"ws_harness"."customers__accounts"'
    assert context.output("Daily_Totals").as_string(None) == '"out_copy_things"."daily_totals"'
    long = context.input("S" * 40, "d" * 40).as_string(None).split(".")[1].strip('"')
    assert len(long) == 63 and long.startswith("s" * 40)  # a prefix and a short stable hash
    with pytest.raises(ContextError, match="ECOPLANE_RUN_ID must be a number"):
        TransformerContext.from_environment({**CONTEXT, "ECOPLANE_RUN_ID": "x"})
