"""docs/transformers.md: its complete example is a valid model, its module runs through the
harness as the transformer's own role after a real security sync, and its test passes."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import asyncpg

from app.ecosystem.loader import load_directory
from app.jobs.spec import TransformerCode, transformer_environment
from app.security.secrets.local import LocalSecretStore
from app.security.sync import SecuritySync
from app.security.warehouses.postgres_variables import libpq_variables
from tests.security.conftest import create_raw_tables
from tests.workers.conftest import ROOT, libpq_env, run_worker

DOC = (ROOT / "docs" / "transformers.md").read_text()
NAMED_BLOCK = re.compile(r"```(?:yaml|python)\n# ([\w./-]+)\n(.*?)```", re.S)


def _write_example(root: Path) -> list[str]:
    """Every block whose first line names a file, written under root; the names."""
    written = []
    for name, text in NAMED_BLOCK.findall(DOC):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(name)
    return written


async def test_the_worked_example_runs_as_its_own_role(
    warehouse: asyncpg.Connection,
    sync: SecuritySync,
    store: LocalSecretStore,
    password_logins: bool,
    tmp_path: Path,
) -> None:
    names = _write_example(tmp_path)
    assert names == [
        "model/ecosystem.yaml", "model/orders.yaml", "model/revenue-analytics.yaml",
        "shop_transformers/daily_revenue.py", "tests/test_daily_revenue.py",
    ]  # fmt: skip
    model = load_directory(tmp_path / "model")
    assert (model.errors, model.warnings) == (0, 0), model.problems
    await create_raw_tables(warehouse, model)
    await sync.apply(model)
    await warehouse.execute(
        "INSERT INTO raw.orders__orders (order_id, ordered_at, currency, amount, customer_email)"
        " VALUES (1, '2026-03-01 10:00Z', 'EUR', 10.50, 'a@example.com'),"
        " (2, '2026-03-01 23:30Z', 'EUR', 4.50, 'b@example.com'),"
        " (3, '2026-03-02 08:00Z', 'USD', 7.00, 'c@example.com')"
    )
    transformer = model.transformers["daily_revenue"]
    credentials = await store.current("daily_revenue")
    assert credentials is not None
    code = TransformerCode(
        name="daily_revenue", workspace=transformer.workspace, code_kind="python"
    )
    env = {
        **libpq_variables(credentials),
        **transformer_environment(code, 7),
        "PYTHONPATH": str(tmp_path),
    }
    done = run_worker("workers.python_transformer", "shop_transformers.daily_revenue", env=env)
    assert done.returncode == 0, done.stderr
    assert "run 7: 2 rows written into out_daily_revenue" in done.stdout
    rows = await warehouse.fetch("SELECT * FROM out_daily_revenue.daily_revenue ORDER BY 1, 2")
    assert [tuple(r) for r in rows] == [
        (rows[0]["day"], "EUR", 2, Decimal("15.00")),
        (rows[1]["day"], "USD", 1, Decimal("7.00")),
    ]
    assert str(rows[0]["day"]) == "2026-03-01" and str(rows[1]["day"]) == "2026-03-02"


def test_the_documented_unit_test_passes(database_url: str, tmp_path: Path) -> None:
    _write_example(tmp_path)
    done = run_worker(
        "pytest", "-q", "-p", "no:cacheprovider", "-c", "/dev/null", "--rootdir", str(tmp_path),
        "--basetemp", str(tmp_path / "pytest"),  # never the outer session's, nor the shared root
        str(tmp_path / "tests" / "test_daily_revenue.py"),
        env={**libpq_env(database_url), "PYTHONPATH": f"{tmp_path}:{ROOT}"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
