"""compute_revenue: daily revenue per line in USD, appended incrementally, and monthly totals.

Reads its own previous output (FinanceReporting sinks RevenueReporting.revenue_daily) to find
the last business date already computed, then appends only the complete UTC days after it
(today is never computed: it is not over). Lines:

- `commission`: brokerage commissions of Orders.executions (Acme Securities LLC);
- `interchange`: interchange fees of CardPayments.card_transactions (Acme Payments Europe);
- `merchant_fees`: the merchant service charge of each card payment under the merchant's fee
  plan valid that day (rate in bps of the amount plus the fixed fee); net of the interchange.

Amounts are converted with the day's MarketData.fx_rates mid rate to USD (the latest rate on or
before the day). revenue_by_fiscal_period is then recomputed from all daily rows: brokerage
(commission) and payments (interchange, merchant fees) per fiscal period.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from psycopg import sql

if TYPE_CHECKING:  # the harness's context; not imported at run time
    from psycopg import Connection

    from workers.python_transformer import TransformerContext

EU = ("AT", "BE", "DE", "ES", "FI", "FR", "IE", "IT", "LU", "NL", "PT")
FX = (
    "(SELECT CASE WHEN {currency} = 'USD' THEN 1 ELSE (SELECT r.mid_rate FROM {fx} r"
    " WHERE r.base_currency = {currency} AND r.quote_currency = 'USD' AND r.rate_date <= {day}"
    " ORDER BY r.rate_date DESC LIMIT 1) END)::numeric"
)
DAILY = """
WITH bounds AS (
    SELECT COALESCE((SELECT max(business_date) + 1 FROM {previous}), '-infinity'::date) AS first,
           (now() AT TIME ZONE 'UTC')::date AS today
), broker AS (
    SELECT lei FROM {entities} WHERE is_acme_entity AND jurisdiction = 'US'
    ORDER BY parent_lei IS NULL, lei LIMIT 1
), payments AS (
    SELECT lei FROM {entities} WHERE is_acme_entity AND jurisdiction = ANY(%(eu)s)
    ORDER BY lei LIMIT 1
), commissions AS (
    SELECT (e.executed_at AT TIME ZONE 'UTC')::date AS day, e.commission, e.commission_currency
    FROM {executions} e, bounds b
    WHERE (e.executed_at AT TIME ZONE 'UTC')::date >= b.first
      AND (e.executed_at AT TIME ZONE 'UTC')::date < b.today
), cards AS (
    SELECT (t.transaction_at AT TIME ZONE 'UTC')::date AS day, t.*,
           t.amount * p.fee_rate_bps / 10000 AS rate_fee, p.fixed_fee, p.fee_currency
    FROM {transactions} t
    CROSS JOIN bounds b
    LEFT JOIN {plans} p ON p.merchant_id = t.merchant_id
         AND (t.transaction_at AT TIME ZONE 'UTC')::date >= p.valid_from
         AND ((t.transaction_at AT TIME ZONE 'UTC')::date <= p.valid_until OR p.valid_until IS NULL)
    WHERE (t.transaction_at AT TIME ZONE 'UTC')::date >= b.first
      AND (t.transaction_at AT TIME ZONE 'UTC')::date < b.today
), card_usd AS (
    SELECT day, interchange_fee * {fx_card} AS interchange,
           COALESCE(rate_fee * {fx_card} + fixed_fee * {fx_fee}, 0) AS merchant_fee
    FROM cards
)
INSERT INTO {target} (business_date, revenue_line, legal_entity_lei, gross_revenue_usd,
                      net_revenue_usd, transaction_count)
SELECT day, 'commission', (SELECT lei FROM broker), round(sum(usd), 2), round(sum(usd), 2), count(*)
FROM (SELECT day, commission * {fx_commission} AS usd FROM commissions) c GROUP BY day
UNION ALL
SELECT day, 'interchange', (SELECT lei FROM payments), round(sum(interchange), 2),
       round(sum(interchange), 2), count(*)
FROM card_usd GROUP BY day
UNION ALL
SELECT day, 'merchant_fees', (SELECT lei FROM payments), round(sum(merchant_fee), 2),
       round(sum(merchant_fee - interchange), 2), count(*)
FROM card_usd GROUP BY day
ON CONFLICT DO NOTHING
"""
MONTHLY = """
INSERT INTO {target} (fiscal_period_id, product_line, revenue_usd, cost_of_revenue_usd,
                      margin_pct, computed_at)
SELECT COALESCE(p.fiscal_period_id, to_char(d.business_date, 'YYYY-MM')),
       CASE d.revenue_line WHEN 'commission' THEN 'brokerage' ELSE 'payments' END,
       sum(d.gross_revenue_usd), sum(d.gross_revenue_usd - d.net_revenue_usd),
       round(100 * sum(d.net_revenue_usd) / NULLIF(sum(d.gross_revenue_usd), 0), 4), now()
FROM {daily} d
LEFT JOIN {periods} p ON d.business_date BETWEEN p.period_start AND p.period_end
GROUP BY 1, 2
"""


def run(connection: Connection[Any], context: TransformerContext) -> None:
    """Append the new complete days to revenue_daily, then recompute the monthly totals."""
    daily = context.input("RevenueReporting", "revenue_daily")  # our own previous output
    names = {
        "previous": daily,
        "entities": context.input("ReferenceData", "legal_entities"),
        "executions": context.input("Orders", "executions"),
        "transactions": context.input("CardPayments", "card_transactions"),
        "plans": context.input("Merchants", "merchant_fee_plans"),
        "target": context.output("revenue_daily"),
    }
    fx = context.input("MarketData", "fx_rates")
    rates = {
        f"fx_{what}": sql.SQL(FX).format(currency=sql.SQL(column), fx=fx, day=sql.SQL("day"))
        for what, column in (
            ("commission", "commission_currency"), ("card", "currency"), ("fee", "fee_currency")
        )
    }  # fmt: skip
    monthly = context.output("revenue_by_fiscal_period")
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL(DAILY).format(**names, **rates), {"eu": list(EU)})
        cursor.execute(sql.SQL("DELETE FROM {}").format(monthly))
        periods = context.input("GeneralLedger", "fiscal_periods")
        cursor.execute(sql.SQL(MONTHLY).format(target=monthly, daily=daily, periods=periods))
