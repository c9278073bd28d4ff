"""acme's python transformers, run as their own roles on a seeded warehouse after a real sync."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

import asyncpg
import psycopg
import pytest
from psycopg import sql

from app.ecosystem.model import Model
from app.examples.seeder import seed_warehouse
from app.security.secrets.local import LocalSecretStore
from app.security.sync import SecuritySync
from tests.security.transformer_harness import context_of, run_module

MODULES = {
    "mask_customers": "acme_transformers.masking",
    "compute_revenue": "acme_transformers.revenue",
    "compute_exposures": "acme_transformers.exposures",
    "build_capital_report": "acme_transformers.capital",
    "segment_customers": "acme_transformers.segments",
}


def _sql_round(value: Decimal) -> Decimal:
    """`round(value, 2)` as PostgreSQL's numeric does it: a tie goes away from zero (Python's
    `round` gives it to the even digit: 37.5 x 78,200.79 = 2,932,529.625 came out .62, not .63)."""
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class Runs:
    """Runs acme's transformers (or another module) with a transformer's own credentials."""

    def __init__(self, store: LocalSecretStore, model: Model) -> None:
        self.store, self.model = store, model

    async def __call__(
        self, transformer: str, module: str | None = None, target: sql.Identifier | None = None
    ) -> None:
        credentials = await self.store.current(transformer)
        assert credentials is not None
        workspace = self.model.transformers[transformer].workspace
        run_module(
            module or MODULES[transformer], credentials, context_of(transformer, workspace, target)
        )


@pytest.fixture
async def run(
    warehouse: asyncpg.Connection, warehouse_url: str, sync: SecuritySync,
    store: LocalSecretStore, acme_model: Model, password_logins: bool,
) -> Runs:  # fmt: skip
    """A seeded warehouse, synced for acme: a runner of its transformers."""
    await seed_warehouse(warehouse_url, acme_model, rows=120, seed=7)
    await sync.apply(acme_model)
    return Runs(store, acme_model)


def test_every_acme_transformer_is_python_code_of_this_package(acme_model: Model) -> None:
    modules = {t.name: t.spec.code.python.module for t in acme_model.transformers.values()
               if not t.builtin and t.spec.code.python is not None}  # fmt: skip
    assert modules == MODULES


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def test_mask_customers_hashes_emails_phones_and_tax_ids(
    run: Runs, warehouse: asyncpg.Connection
) -> None:
    for _ in range(2):  # idempotent: the second run replaces the first
        await run("mask_customers")
    raw = {
        r["customer_id"]: r for r in await warehouse.fetch("SELECT * FROM raw.customers__customers")
    }
    masked = await warehouse.fetch("SELECT * FROM out_mask_customers.customers_masked")
    assert len(masked) == len(raw) == 120
    for row in masked:
        source = raw[row["customer_id"]]
        assert row["email_sha256"] == _sha(source["email"].strip().lower())
        assert row["tax_id_sha256"] == _sha(source["tax_id"])
        assert row["phone_sha256"] == _sha(source["phone"])
        assert row["residence_country"] == source["residence_country"]
        assert source["email"] not in [str(v) for v in row.values()]


async def _fx(warehouse: asyncpg.Connection) -> dict[tuple[str, date], Decimal]:
    rows = await warehouse.fetch(
        "SELECT base_currency, rate_date, mid_rate FROM raw.marketdata__fx_rates"
    )
    return {(r["base_currency"], r["rate_date"]): Decimal(str(r["mid_rate"])) for r in rows}


def _usd(fx: dict[tuple[str, date], Decimal], currency: str, day: date) -> Decimal:
    return Decimal(1) if currency == "USD" else fx[(currency, day)]


async def test_compute_revenue_rolls_up_complete_days_and_appends_only_new_ones(
    run: Runs, warehouse: asyncpg.Connection
) -> None:
    await run("compute_revenue")
    today = datetime.now(UTC).date()
    fx = await _fx(warehouse)
    expected: dict[tuple[date, str], Decimal] = defaultdict(Decimal)
    counts: dict[tuple[date, str], int] = defaultdict(int)
    for r in await warehouse.fetch("SELECT * FROM raw.orders__executions"):
        day = r["executed_at"].astimezone(UTC).date()
        if day < today:
            expected[(day, "commission")] += r["commission"] * _usd(
                fx, r["commission_currency"], day
            )
    for r in await warehouse.fetch("SELECT * FROM raw.cardpayments__card_transactions"):
        day = r["transaction_at"].astimezone(UTC).date()
        if day < today:
            expected[(day, "interchange")] += r["interchange_fee"] * _usd(fx, r["currency"], day)
            counts[(day, "interchange")] += 1
    out = "out_compute_revenue.revenue_daily"
    rows = {
        (r["business_date"], r["revenue_line"]): r
        for r in await warehouse.fetch(f"SELECT * FROM {out}")
    }
    assert {k for k in rows if k[1] != "merchant_fees"} == set(expected)
    for key, amount in expected.items():
        assert rows[key]["gross_revenue_usd"] == _sql_round(amount), key
    for key, count in counts.items():
        assert rows[key]["transaction_count"] == count
    assert all(d < today for d, _ in rows)
    monthly = await warehouse.fetch("SELECT * FROM out_compute_revenue.revenue_by_fiscal_period")
    assert sum(r["revenue_usd"] for r in monthly) == sum(
        r["gross_revenue_usd"] for r in rows.values()
    )

    # second run: the last three days are gone, an old day was changed, a late row arrived
    days = sorted({d for d, _ in rows})
    await warehouse.execute(f"DELETE FROM {out} WHERE business_date >= $1", days[-3])
    await warehouse.execute(
        f"UPDATE {out} SET gross_revenue_usd = 1234.56 WHERE business_date = $1", days[0]
    )
    await warehouse.execute(
        "UPDATE raw.orders__executions SET commission = commission + 1000"
        " WHERE (executed_at AT TIME ZONE 'UTC')::date = $1", days[1]
    )  # fmt: skip
    await run("compute_revenue")
    again = {
        (r["business_date"], r["revenue_line"]): r
        for r in await warehouse.fetch(f"SELECT * FROM {out}")
    }
    assert set(again) == set(rows)
    for key, row in again.items():
        if key[0] == days[0]:
            assert row["gross_revenue_usd"] == Decimal("1234.56")  # old rows are kept
        elif key[0] >= days[-3]:
            assert row["gross_revenue_usd"] == rows[key]["gross_revenue_usd"]  # recomputed
        else:
            assert row == rows[key]  # not recomputed: late data of an old day is not picked up


async def test_capital_report_derives_from_the_exposures_of_the_first_step(
    run: Runs, warehouse: asyncpg.Connection
) -> None:
    await run("compute_exposures")
    await run("compute_exposures")  # replaces the rows of its as-of date
    latest = await warehouse.fetchval("SELECT max(as_of_date) FROM raw.positions__positions")
    fx = await _fx(warehouse)
    net: dict[str, Decimal] = defaultdict(Decimal)
    issuers = {
        r["instrument_id"]: r["issuer_lei"]
        for r in await warehouse.fetch("SELECT * FROM raw.marketdata__instruments")
    }
    for p in await warehouse.fetch(
        "SELECT * FROM raw.positions__positions WHERE as_of_date = $1", latest
    ):
        net[issuers[p["instrument_id"]]] += p["market_value"] * _usd(
            fx, p["position_currency"], latest
        )
    exposures = await warehouse.fetch("SELECT * FROM out_compute_exposures.counterparty_exposures")
    assert {r["counterparty_lei"]: r["net_exposure"] for r in exposures} == {
        k: _sql_round(v) for k, v in net.items()
    }
    assert {r["as_of_date"] for r in exposures} == {latest}
    var = await warehouse.fetch("SELECT * FROM out_compute_exposures.var_results")
    assert var and all(r["var_amount"] >= 0 and r["scenario_count"] > 10 for r in var)

    await run("build_capital_report")
    tier1 = await warehouse.fetchval(
        "SELECT sum(coalesce(credit_amount, 0) - coalesce(debit_amount, 0)) FROM raw.generalledger__journal_lines"
        " JOIN raw.generalledger__gl_accounts USING (gl_account_code) WHERE account_category = 'equity'"
    )  # fmt: skip
    (rwa,) = await warehouse.fetch("SELECT * FROM out_build_capital_report.rwa_by_entity")
    assert rwa["reporting_date"] == latest
    assert rwa["credit_rwa"] == sum(max(r["net_exposure"], 0) for r in exposures)
    assert rwa["market_rwa"] == _sql_round(Decimal("37.5") * sum(r["var_amount"] for r in var))
    large = await warehouse.fetch("SELECT * FROM out_build_capital_report.large_exposures")
    assert {r["counterparty_lei"]: r["exposure_amount"] for r in large} == {
        r["counterparty_lei"]: r["gross_exposure"]
        for r in exposures
        if r["gross_exposure"] >= tier1 / 10
    }
    assert all(r["is_breach"] == (r["exposure_amount"] > tier1 / 4) for r in large)


async def test_segment_customers_remembers_the_segment_before_a_change(
    run: Runs, warehouse: asyncpg.Connection
) -> None:
    await run("segment_customers")
    out = "out_segment_customers.cardholder_segments"
    first = {r["cardholder_id"]: r for r in await warehouse.fetch(f"SELECT * FROM {out}")}
    assert len(first) == await warehouse.fetchval(
        "SELECT count(*) FROM raw.cardholders__cardholders"
    )
    assert all(r["previous_segment_code"] is None for r in first.values())
    moved = next(iter(first))
    await warehouse.execute(
        f"UPDATE {out} SET segment_code = 'legacy' WHERE cardholder_id = $1", moved
    )
    await run("segment_customers")
    second = {r["cardholder_id"]: r for r in await warehouse.fetch(f"SELECT * FROM {out}")}
    assert second[moved]["previous_segment_code"] == "legacy"
    assert {k: r["segment_code"] for k, r in second.items()} == {
        k: r["segment_code"] for k, r in first.items()
    }
    assert all(r["previous_segment_code"] is None for k, r in second.items() if k != moved)
    counts = await warehouse.fetch(
        "SELECT segment_code, member_count FROM out_segment_customers.segment_definitions"
    )
    assert sum(r["member_count"] for r in counts) == len(second)


@pytest.mark.parametrize(
    "target",
    [("raw", "customers__customers"), ("ws_fraudmonitoring", "cardpayments__card_transactions")],
)
async def test_a_transformer_reading_what_it_was_not_given_is_denied(
    run: Runs, warehouse: asyncpg.Connection, target: tuple[str, str]
) -> None:
    assert await warehouse.fetchval(f'SELECT count(*) FROM "{target[0]}"."{target[1]}"') > 0
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        await run("mask_customers", "tests.security.intruder", sql.Identifier(*target))
