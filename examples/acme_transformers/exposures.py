"""compute_exposures: exposure per issuer and one-day historical-simulation VaR, in USD.

For the latest as-of date of Positions.positions, with positions converted to USD at that
day's MarketData.fx_rates mid rate:

- counterparty_exposures: per issuer legal entity of the held instruments, the gross
  exposure (sum of absolute market values) and the net exposure (sum of market values);
- var_results: per portfolio (`US-<ASSET CLASS>`), the 99% one-day value at risk and the
  expected shortfall over the scenarios of the price history in MarketData.eod_prices (each
  scenario: today's quantities times one day's change of the close price).

The rows of that as-of date are replaced; earlier dates are kept. The CapitalReporting
workspace reads this output; its transformer build_capital_report runs after each run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from psycopg import sql

if TYPE_CHECKING:  # the harness's context; not imported at run time
    from psycopg import Connection

    from workers.python_transformer import TransformerContext

LATEST = "SELECT max(as_of_date) FROM {positions}"
RATE = (
    "(CASE WHEN {currency} = 'USD' THEN 1 ELSE (SELECT r.mid_rate FROM {fx} r"
    " WHERE r.base_currency = {currency} AND r.quote_currency = 'USD'"
    " AND r.rate_date <= %(day)s ORDER BY r.rate_date DESC LIMIT 1) END)::numeric"
)
EXPOSURES = """
INSERT INTO {target} (counterparty_lei, as_of_date, gross_exposure, net_exposure,
                      collateral_value, limit_utilisation_pct, exposure_currency, computed_at)
SELECT i.issuer_lei, %(day)s, round(sum(abs(p.market_value * {rate})), 2),
       round(sum(p.market_value * {rate}), 2), NULL, NULL, 'USD', now()
FROM {positions} p JOIN {instruments} i USING (instrument_id)
WHERE p.as_of_date = %(day)s AND i.issuer_lei IS NOT NULL
GROUP BY i.issuer_lei
"""
VAR = """
WITH book AS (
    SELECT 'US-' || upper(i.asset_class) AS portfolio, p.instrument_id,
           sum(p.quantity) * {rate} AS quantity_usd
    FROM {positions} p JOIN {instruments} i USING (instrument_id)
    WHERE p.as_of_date = %(day)s AND i.asset_class IS NOT NULL
    GROUP BY 1, 2, p.position_currency
), moves AS (
    SELECT instrument_id, price_date,
           close_price - lag(close_price) OVER (PARTITION BY instrument_id ORDER BY price_date) AS move
    FROM {prices} WHERE price_date <= %(day)s
), scenarios AS (
    SELECT b.portfolio, m.price_date, sum(b.quantity_usd * m.move) AS pnl
    FROM book b JOIN moves m USING (instrument_id)
    WHERE m.move IS NOT NULL GROUP BY 1, 2
), var AS (
    SELECT portfolio, count(*) AS scenarios,
           greatest(-percentile_disc(0.01) WITHIN GROUP (ORDER BY pnl), 0) AS var_amount
    FROM scenarios GROUP BY portfolio
)
INSERT INTO {target} (portfolio_code, as_of_date, confidence_level, horizon_days, var_amount,
                      expected_shortfall, var_currency, scenario_count, computed_at)
SELECT v.portfolio, %(day)s, 0.99, 1, round(v.var_amount, 2),
       round(-(SELECT avg(s.pnl) FROM scenarios s
               WHERE s.portfolio = v.portfolio AND s.pnl <= -v.var_amount), 2),
       'USD', v.scenarios, now()
FROM var v
"""


def run(connection: Connection[Any], context: TransformerContext) -> None:
    """Replace the exposures and VaR of the latest as-of date of the positions."""
    names = {
        "positions": context.input("Positions", "positions"),
        "instruments": context.input("MarketData", "instruments"),
        "prices": context.input("MarketData", "eod_prices"),
    }
    rate = sql.SQL(RATE).format(
        currency=sql.SQL("p.position_currency"), fx=context.input("MarketData", "fx_rates")
    )
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL(LATEST).format(**names))
        row = cursor.fetchone()
        if row is None or row[0] is None:
            return  # no positions yet: nothing to report
        day = {"day": row[0]}
        for dataset, statement in (("counterparty_exposures", EXPOSURES), ("var_results", VAR)):
            target = context.output(dataset)
            cursor.execute(sql.SQL("DELETE FROM {} WHERE as_of_date = %(day)s").format(target), day)
            cursor.execute(sql.SQL(statement).format(target=target, rate=rate, **names), day)
