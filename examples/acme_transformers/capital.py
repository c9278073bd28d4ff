"""build_capital_report: risk-weighted assets, CET1 ratio and large exposures (step 2 of a chain).

Runs on input change: after each run of compute_exposures, whose output RiskExposures the
CapitalReporting workspace sinks. For the latest as-of date of the exposures, for the group's
parent entity (ReferenceData.legal_entities: the Acme entity with no parent):

- credit_rwa: the positive net exposures at a 100% risk weight;
- market_rwa: 12.5 x 3 x the sum of the portfolios' one-day 99% VaR;
- operational_rwa: 12.5 x 15% of the revenue booked in the ledger (basic indicator approach);
- cet1_ratio: tier 1 capital (credits minus debits on equity accounts) over total RWA;
- large_exposures: counterparties whose gross exposure is at least 10% of tier 1 capital
  (pct_of_tier1 in percent), a breach above 25%.

The rows of that reporting date are replaced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from psycopg import sql

if TYPE_CHECKING:  # the harness's context; not imported at run time
    from psycopg import Connection

    from workers.python_transformer import TransformerContext

LATEST = "SELECT max(as_of_date) FROM {exposures}"
TIER1 = """
SELECT COALESCE(sum(CASE WHEN a.account_category = 'equity'
                    THEN COALESCE(l.credit_amount, 0) - COALESCE(l.debit_amount, 0) END), 0),
       COALESCE(sum(CASE WHEN a.account_category = 'revenue'
                    THEN COALESCE(l.credit_amount, 0) - COALESCE(l.debit_amount, 0) END), 0)
FROM {lines} l JOIN {accounts} a USING (gl_account_code)
"""
RWA = """
WITH risk AS (
    SELECT (SELECT COALESCE(sum(greatest(net_exposure, 0)), 0) FROM {exposures}
            WHERE as_of_date = %(day)s) AS credit,
           (SELECT COALESCE(12.5 * 3 * sum(var_amount), 0) FROM {var}
            WHERE as_of_date = %(day)s) AS market,
           12.5 * 0.15 * greatest(%(revenue)s::numeric, 0) AS operational
)
INSERT INTO {target} (legal_entity_lei, reporting_date, credit_rwa, market_rwa,
                      operational_rwa, total_rwa, cet1_ratio)
SELECT e.lei, %(day)s, round(credit, 2), round(market, 2), round(operational, 2),
       round(credit + market + operational, 2),
       CASE WHEN credit + market + operational > 0 AND %(tier1)s::numeric > 0
            THEN least(round(%(tier1)s::numeric / (credit + market + operational), 4), 999.9999) END
FROM risk, {entities} e
WHERE e.is_acme_entity AND e.parent_lei IS NULL
"""
LARGE = """
INSERT INTO {target} (reporting_date, counterparty_lei, exposure_amount, pct_of_tier1, is_breach)
SELECT %(day)s, counterparty_lei, gross_exposure,
       least(round(100 * gross_exposure / %(tier1)s::numeric, 4), 999.9999),
       gross_exposure > 0.25 * %(tier1)s::numeric
FROM {exposures}
WHERE as_of_date = %(day)s AND %(tier1)s::numeric > 0 AND gross_exposure >= 0.10 * %(tier1)s::numeric
"""


def run(connection: Connection[Any], context: TransformerContext) -> None:
    """Replace the capital figures of the latest exposure date."""
    names = {
        "exposures": context.input("RiskExposures", "counterparty_exposures"),
        "var": context.input("RiskExposures", "var_results"),
        "lines": context.input("GeneralLedger", "journal_lines"),
        "accounts": context.input("GeneralLedger", "gl_accounts"),
        "entities": context.input("ReferenceData", "legal_entities"),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL(LATEST).format(**names))
        row = cursor.fetchone()
        if row is None or row[0] is None:
            return  # compute_exposures has not written anything yet
        cursor.execute(sql.SQL(TIER1).format(**names))
        tier1, revenue = cursor.fetchone() or (0, 0)
        values = {"day": row[0], "tier1": tier1, "revenue": revenue}
        for dataset, statement in (("rwa_by_entity", RWA), ("large_exposures", LARGE)):
            target = context.output(dataset)
            cursor.execute(
                sql.SQL("DELETE FROM {} WHERE reporting_date = %(day)s").format(target), values
            )
            cursor.execute(sql.SQL(statement).format(target=target, **names), values)
