"""The warehouse seeder: deterministic rows that join, any model's types, one transaction."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from app.cli import main
from app.db.urls import asyncpg_dsn
from app.ecosystem.loader import load_directory, load_texts
from app.ecosystem.model import Model
from app.examples.seeder import SeedError, seed_if_missing, seed_rows, seed_warehouse
from app.settings import Settings
from tests.conftest import EXAMPLES
from tests.ecosystem.modeltext import files
from tests.security.conftest import warehouse_url  # noqa: F401 (a fixture)

DAY = date(2026, 3, 18)
EVERY_TYPE = """\
    apiVersion: ecoplane.io/v1
    kind: Datastore
    metadata: {name: Everything, zone: USA, team: FrontOffice}
    spec:
      ingestion: {kind: external, trigger: {external: true}}
      datasets:
        - name: kinds
          classification: [internal]
          columns:
            - {name: kind_id, type: varchar(8), primaryKey: true}
            - {name: day, type: date, primaryKey: true}
            - {name: flag, type: boolean}
            - {name: small, type: smallint}
            - {name: whole, type: integer}
            - {name: big, type: bigint, nullable: false}
            - {name: ratio, type: real}
            - {name: exact, type: double}
            - {name: money, type: "decimal(6,2)"}
            - {name: code, type: char(3)}
            - {name: note, type: text}
            - {name: at, type: time}
            - {name: stamp, type: timestamp}
            - {name: stamptz, type: timestamptz}
            - {name: span, type: interval}
            - {name: doc, type: json}
            - {name: blob, type: binary}
            - {name: uid, type: uuid}
            - {name: vec, type: vector(3)}
            - {name: tags, type: array<varchar(4)>}
            - {name: attrs, type: "map<varchar(8), integer>"}
            - {name: place, type: "struct<city: varchar(16), country: char(2)>"}
            - {name: closed_at, type: timestamptz, nullable: false}
        - name: owners
          classification: [internal]
          columns:
            - {name: owner_id, type: bigint, primaryKey: true}
            - {name: full_name, type: varchar(32)}
        - name: refs
          classification: [internal]
          columns:
            - {name: ref_id, type: uuid, primaryKey: true}
            - {name: owner_id, type: bigint}
            - {name: main_owner_id, type: integer}
            - {name: kind_id, type: varchar(8)}
"""


@pytest.fixture(scope="module")
def acme() -> Model:
    """examples/acme, loaded."""
    return load_directory(EXAMPLES / "acme")


def test_the_same_seed_and_day_give_the_same_rows(acme: Model) -> None:
    first = seed_rows(acme, rows=30, seed=3, today=DAY)
    assert first == seed_rows(acme, rows=30, seed=3, today=DAY)
    assert first != seed_rows(acme, rows=30, seed=4, today=DAY)
    stores = {t.datastore for t, _ in first}
    assert "RiskExposures" not in stores and "ecoplane_model" not in stores  # transformer outputs
    assert len(first) == sum(
        len(s.datasets) for s in acme.datastores.values() if s.producer is None
    )


def _rows(acme: Model, store: str, dataset: str) -> list[dict[str, object]]:
    content = seed_rows(acme, rows=40, seed=1, today=DAY)
    return next(rows for t, rows in content if t.key == (store, dataset))


def test_acme_rows_join_and_look_real(acme: Model) -> None:
    content = {t.key: rows for t, rows in seed_rows(acme, rows=40, seed=1, today=DAY)}
    cards = {c["card_token"]: c["cardholder_id"] for c in content[("Cardholders", "cards")]}
    merchants = {m["merchant_id"] for m in content[("Merchants", "merchants")]}
    for payment in content[("CardPayments", "card_transactions")]:
        assert cards[payment["card_token"]] == payment["cardholder_id"]
        assert payment["merchant_id"] in merchants
        paid = payment["transaction_at"]
        assert isinstance(paid, datetime)
        assert DAY - timedelta(days=30) <= paid.date() < DAY
    customers = {c["customer_id"] for c in content[("Customers", "customers")]}
    assert {
        a["primary_customer_id"] for a in content[("Customers", "brokerage_accounts")]
    } <= customers
    assert {k["customer_id"] for k in content[("KycScreening", "kyc_cases")]} <= customers
    orders = {o["order_id"] for o in content[("Orders", "trade_orders")]}
    assert {e["order_id"] for e in content[("Orders", "executions")]} <= orders
    for customer in content[("Customers", "customers")]:
        first, last = str(customer["first_name"]).lower(), str(customer["last_name"]).lower()
        assert str(customer["email"]).startswith(f"{first}.{last}")
    currencies = {r["base_currency"] for r in content[("MarketData", "fx_rates")]}
    assert {"EUR", "GBP", "CHF"} <= currencies


async def test_a_model_of_every_type_is_seeded_into_tables_of_its_columns(
    warehouse_url: str,  # noqa: F811
) -> None:
    model = load_texts(files({"zones/usa/everything.yaml": EVERY_TYPE}))
    assert model.errors == 0, [p.message for p in model.problems]
    report = await seed_warehouse(warehouse_url, model, rows=25, seed=9, today=DAY)
    assert set(report.created) == {
        "customers__customers",
        "everything__kinds",
        "everything__owners",
        "everything__refs",
    }
    assert report.tables == dict.fromkeys(report.created, 25)
    connection = await asyncpg.connect(asyncpg_dsn(warehouse_url))
    try:
        kinds = await connection.fetch("SELECT * FROM raw.everything__kinds")
        assert all(r["big"] is not None and r["closed_at"] is not None for r in kinds)
        assert all(len(r["vec"]) == 3 and r["money"] < 10_000 for r in kinds)
        owners = {
            r["owner_id"] for r in await connection.fetch("SELECT * FROM raw.everything__owners")
        }
        refs = await connection.fetch("SELECT * FROM raw.everything__refs")
        assert {r["owner_id"] for r in refs} <= owners  # ids join by name
        assert {r["main_owner_id"] for r in refs} <= owners  # and by a name ending in _<key>
        assert all(isinstance(r["kind_id"], str) for r in refs)  # not an integer key of kinds
        key = await connection.fetchval(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'p' AND conrelid = 'raw.everything__kinds'::regclass"
        )
        assert key == "PRIMARY KEY (kind_id, day)"
    finally:
        await connection.close()


async def test_a_second_seeding_replaces_rows_and_a_bad_table_changes_nothing(
    warehouse_url: str,  # noqa: F811
) -> None:
    model = load_texts(files({"zones/usa/everything.yaml": EVERY_TYPE}))
    await seed_warehouse(warehouse_url, model, rows=25, seed=9, today=DAY)
    again = await seed_warehouse(warehouse_url, model, rows=10, seed=9, today=DAY)
    assert again.created == () and again.rows == 40
    connection = await asyncpg.connect(asyncpg_dsn(warehouse_url))
    try:
        await connection.execute("ALTER TABLE raw.everything__refs DROP COLUMN main_owner_id")
        with pytest.raises(
            SeedError, match=r"raw.everything__refs .*Everything.refs.* main_owner_id"
        ):
            await seed_warehouse(warehouse_url, model, rows=5, seed=9, today=DAY)
        assert await connection.fetchval("SELECT count(*) FROM raw.customers__customers") == 10
    finally:
        await connection.close()


async def test_the_service_seeds_only_a_warehouse_without_raw_tables(
    warehouse_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    model = load_texts(files())
    settings = Settings(warehouse_url=warehouse_url, data_dir=tmp_path)
    first = await seed_if_missing(settings, model, rows=7)
    assert first is not None and first.tables == {"customers__customers": 7}
    assert await seed_if_missing(settings, model, rows=7) is None


def test_the_command_seeds_the_configured_warehouse(
    warehouse_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ECOPLANE_WAREHOUSE_URL", warehouse_url)
    assert main(["example", "seed-warehouse", "--rows", "5", "--seed", "2"]) == 0
    assert "seeded 64 raw tables" in capsys.readouterr().err
    assert main(["example", "seed-warehouse", "--model", str(EXAMPLES / "nowhere")]) == 2
