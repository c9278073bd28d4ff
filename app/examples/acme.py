"""Acme's recipes: reference data, prices, fx rates, the ledger and payments that add up."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from app.examples import vocabulary as words
from app.examples.rows import Key, Recipe, Row, Seeding

CENT, BASIS = Decimal("0.01"), Decimal("0.0001")
ACME_ENTITIES = (
    ("5493ACMEGROUP0000001", "Acme Financial Group Inc", "US", None),
    ("5493ACMESECURITIES02", "Acme Securities LLC", "US", "5493ACMEGROUP0000001"),
    ("5493ACMEPAYMENTSEU03", "Acme Payments Europe BV", "NL", "5493ACMEGROUP0000001"),
    ("5493ACMESECASIA00004", "Acme Securities Asia Pte Ltd", "SG", "5493ACMEGROUP0000001"),
)
CHART = (  # code, name, category
    ("1000", "Cash at bank", "asset"), ("1100", "Client receivables", "asset"),
    ("2000", "Client payables", "liability"), ("3000", "Share capital", "equity"),
    ("3100", "Retained earnings", "equity"), ("4000", "Commission revenue", "revenue"),
    ("4100", "Interchange revenue", "revenue"), ("4200", "Merchant fee revenue", "revenue"),
    ("5000", "Staff costs", "expense"), ("5100", "Technology costs", "expense"),
    ("5200", "Card scheme fees", "expense"),
)  # fmt: skip
USD_VALUE = {code: Decimal(str(usd)) for code, _, _, usd in words.CURRENCIES}


def _countries(seeding: Seeding) -> list[Row]:
    return [
        {"country_code": c, "iso3_code": i, "country_name": n, "region_code": r,
         "is_eu_member": eu, "is_sanctioned": False}
        for c, i, n, r, eu in words.COUNTRIES
    ]  # fmt: skip


def _currencies(seeding: Seeding) -> list[Row]:
    return [
        {"currency_code": c, "currency_name": n, "minor_units": m, "is_active": True}
        for c, n, m, _ in words.CURRENCIES
    ]


def _exchanges(seeding: Seeding) -> list[Row]:
    return [
        {"mic": mic, "exchange_name": name, "country_code": country, "tz_name": tz,
         "session_open": None, "session_close": None}
        for mic, name, country, tz in words.EXCHANGES
    ]  # fmt: skip


def _legal_entities(seeding: Seeding) -> list[Row]:
    rows: list[Row] = [
        {"lei": lei, "entity_name": name, "jurisdiction": country, "parent_lei": parent,
         "is_acme_entity": True, "lei_status": "ISSUED"}
        for lei, name, country, parent in ACME_ENTITIES
    ]  # fmt: skip
    rng = seeding.rng
    for index in range(max(seeding.rows // 10, 12)):
        word = words.COMPANY_WORDS[index % len(words.COMPANY_WORDS)]
        rows.append(
            {"lei": f"5493CPTY{index:012d}", "entity_name": f"{word} {rng.choice(words.COMPANY_SUFFIXES)}",
             "jurisdiction": rng.choice(words.COUNTRIES)[0], "parent_lei": None,
             "is_acme_entity": False, "lei_status": "ISSUED"}
        )  # fmt: skip
    return rows


def _gl_accounts(seeding: Seeding) -> list[Row]:
    return [
        {"gl_account_code": code, "account_name": name, "account_category": category,
         "parent_account_code": None, "is_active": True}
        for code, name, category in CHART
    ]  # fmt: skip


def _fiscal_periods(seeding: Seeding) -> list[Row]:
    first = (seeding.today - timedelta(days=seeding.days + 1)).replace(day=1)
    rows, month = [], first
    while month <= seeding.today:
        following = (month + timedelta(days=32)).replace(day=1)
        closed = following <= seeding.today
        rows.append(
            {"fiscal_period_id": month.strftime("%Y-%m"), "period_start": month,
             "period_end": following - timedelta(days=1), "is_closed": closed, "closed_at": None}
        )  # fmt: skip
        month = following
    return rows


def _fx_rates(seeding: Seeding) -> list[Row]:
    rows = []
    for offset in range(seeding.days + 1):
        day = seeding.today - timedelta(days=offset)
        for code, usd in USD_VALUE.items():
            if code == "USD":
                continue
            mid = float(usd) * seeding.rng.uniform(0.99, 1.01)
            rows.append(
                {"base_currency": code, "quote_currency": "USD", "rate_date": day,
                 "mid_rate": round(mid, 6), "bid_rate": round(mid * 0.9998, 6),
                 "ask_rate": round(mid * 1.0002, 6), "fixing_name": "WMR 4pm"}
            )  # fmt: skip
    return rows


def _eod_prices(seeding: Seeding) -> list[Row]:
    rows = []
    for instrument in seeding.rows_of("MarketData", "instruments"):
        price = Decimal(str(round(seeding.rng.uniform(20, 400), 2)))
        for offset in range(seeding.days, 0, -1):
            day = seeding.today - timedelta(days=offset)
            if day.weekday() >= 5:
                continue
            price = (price * Decimal(str(seeding.rng.gauss(1.0, 0.015)))).quantize(CENT)
            rows.append(
                {"instrument_id": instrument["instrument_id"], "price_date": day,
                 "open_price": price, "high_price": price, "low_price": price,
                 "close_price": price, "vwap": price, "traded_volume": seeding.rng.randint(10**4, 10**7)}
            )  # fmt: skip
    return rows


def _positions(seeding: Seeding) -> list[Row]:
    prices: dict[object, list[Row]] = {}
    for price in seeding.rows_of("MarketData", "eod_prices"):
        prices.setdefault(price["instrument_id"], []).append(price)
    currency = {
        i["instrument_id"]: i["currency"] for i in seeding.rows_of("MarketData", "instruments")
    }
    accounts = seeding.keys.get(("Customers", "brokerage_accounts"), [])
    pairs = {
        (seeding.rng.choice(accounts), seeding.rng.choice(list(prices)))
        for _ in range(seeding.rows // 4)
    }
    rows = []
    for account, instrument in sorted(pairs, key=str):
        quantity = Decimal(seeding.rng.randint(-200, 2_000) or 100)
        cost = prices[instrument][0]["close_price"]
        for price in prices[instrument][-5:]:
            close = Decimal(str(price["close_price"]))
            rows.append(
                {"account_id": account, "instrument_id": instrument, "as_of_date": price["price_date"],
                 "quantity": quantity, "average_cost": cost, "market_value": (quantity * close).quantize(CENT),
                 "unrealized_pnl": (quantity * (close - Decimal(str(cost)))).quantize(CENT),
                 "position_currency": currency.get(instrument, "USD")}
            )  # fmt: skip
    return rows


def _fee_plans(seeding: Seeding) -> list[Row]:
    return [
        {"fee_plan_id": index + 1, "merchant_id": merchant,
         "fee_rate_bps": Decimal(seeding.rng.randint(80, 250)), "fixed_fee": Decimal("0.1000"),
         "fee_currency": "EUR", "valid_from": seeding.today - timedelta(days=400), "valid_until": None}
        for index, merchant in enumerate(seeding.keys.get(("Merchants", "merchants"), []))
    ]  # fmt: skip


def _instrument(row: Row, seeding: Seeding) -> None:
    mic, _, country, _ = seeding.rng.choice(words.EXCHANGES[:2] * 3 + words.EXCHANGES[2:])
    row["exchange_mic"] = mic
    row["currency"] = {"US": "USD", "GB": "GBP", "DE": "EUR", "SG": "SGD", "JP": "JPY"}[country]
    counterparties = seeding.rows_of("ReferenceData", "legal_entities")[len(ACME_ENTITIES) :]
    if counterparties:
        row["issuer_lei"] = seeding.rng.choice(counterparties)["lei"]
    row["ticker"] = f"{str(row['instrument_name'])[:3].upper()}{seeding.rng.randint(1, 99)}"


def _execution(row: Row, seeding: Seeding) -> None:
    row["commission_currency"] = "USD"
    notional = Decimal(str(row["fill_quantity"])) * Decimal(str(row["fill_price"]))
    row["commission"] = max(notional * Decimal("0.0005"), Decimal("1")).quantize(BASIS)
    row["exec_venue"] = seeding.rng.choice(("XNYS", "XNAS", "ARCX", "BATS"))


def _card_transaction(row: Row, seeding: Seeding) -> None:
    cards = seeding.rows_of("Cardholders", "cards")
    if cards:
        card = seeding.rng.choice(cards)
        row["card_token"], row["cardholder_id"] = card["card_token"], card["cardholder_id"]
    currency = seeding.rng.choice(("EUR", "EUR", "EUR", "GBP", "CHF"))
    amount = Decimal(str(round(seeding.rng.lognormvariate(3.3, 1.0), 2))).quantize(CENT)
    row.update(amount=amount, currency=currency, billing_amount=amount, billing_currency=currency)
    row["interchange_fee"] = (amount * Decimal("0.002")).quantize(BASIS)  # EU cap for debit
    row["merchant_country"] = seeding.rng.choice(("DE", "FR", "NL", "IE", "ES", "IT", "GB"))


def _journal_entry(row: Row, seeding: Seeding) -> None:
    row["legal_entity_lei"] = seeding.rng.choice(ACME_ENTITIES)[0]
    row["fiscal_period_id"] = row["posted_at"].strftime("%Y-%m")  # type: ignore[attr-defined]


def _journal_line(row: Row, seeding: Seeding) -> None:
    code, _, category = seeding.rng.choice(CHART)
    big = category == "equity"
    amount = Decimal(seeding.rng.randint(10**4, 10**5) if big else seeding.rng.randint(100, 90_000))
    credit = big or category in ("revenue", "liability") or seeding.rng.random() < 0.3
    row.update(gl_account_code=code, transaction_currency="USD")
    row["debit_amount"], row["credit_amount"] = (None, amount) if credit else (amount, None)
    row["functional_amount"] = -amount if credit else amount  # debit positive


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


RECIPES: dict[Key, Recipe] = {
    ("ReferenceData", "countries"): Recipe(
        _names("country_code iso3_code country_name"), _countries
    ),
    ("ReferenceData", "currencies"): Recipe(
        _names("currency_code currency_name minor_units"), _currencies
    ),
    ("ReferenceData", "exchanges"): Recipe(
        _names("mic exchange_name country_code tz_name"), _exchanges
    ),
    ("ReferenceData", "legal_entities"): Recipe(
        _names("lei entity_name is_acme_entity"), _legal_entities
    ),
    ("GeneralLedger", "gl_accounts"): Recipe(
        _names("gl_account_code account_category"), _gl_accounts
    ),
    ("GeneralLedger", "fiscal_periods"): Recipe(
        _names("fiscal_period_id period_start period_end"), _fiscal_periods
    ),
    ("MarketData", "fx_rates"): Recipe(
        _names("base_currency quote_currency rate_date mid_rate"), _fx_rates
    ),
    ("MarketData", "eod_prices"): Recipe(
        _names("instrument_id price_date close_price"),
        _eod_prices,
        needs=(("MarketData", "instruments"),),
    ),
    ("Positions", "positions"): Recipe(
        _names("account_id instrument_id as_of_date quantity market_value"),
        _positions,
        needs=(("MarketData", "eod_prices"), ("MarketData", "instruments")),
    ),  # fmt: skip
    ("Merchants", "merchant_fee_plans"): Recipe(
        _names("fee_plan_id merchant_id fee_rate_bps fixed_fee"),
        _fee_plans,
        needs=(("Merchants", "merchants"),),
    ),  # fmt: skip
    ("MarketData", "instruments"): Recipe(
        _names("exchange_mic currency issuer_lei ticker instrument_name"),
        touch=_instrument,
        needs=(("ReferenceData", "legal_entities"),),
    ),  # fmt: skip
    ("Orders", "executions"): Recipe(
        _names("commission commission_currency fill_quantity fill_price exec_venue"),
        touch=_execution,
    ),
    ("CardPayments", "card_transactions"): Recipe(
        _names("card_token cardholder_id amount currency billing_amount interchange_fee"),
        touch=_card_transaction,
        needs=(("Cardholders", "cards"),),
    ),  # fmt: skip
    ("GeneralLedger", "journal_entries"): Recipe(
        _names("legal_entity_lei fiscal_period_id posted_at"), touch=_journal_entry
    ),
    ("GeneralLedger", "journal_lines"): Recipe(
        _names("gl_account_code debit_amount credit_amount functional_amount"),
        touch=_journal_line,
        needs=(("GeneralLedger", "gl_accounts"),),
    ),  # fmt: skip
}
