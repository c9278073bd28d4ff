"""segment_customers: a behavioural segment per cardholder, remembering the segment before.

Over the 30 complete UTC days before today, per cardholder of Cardholders.cardholders: card
spend and count (CardPayments.card_transactions, in the transaction currency) and app events
(ProductEvents.app_events). Segments: `dormant` (no payment), `occasional` (1-2 payments),
`regular` (3 or more), `high_value` (spend of 500 or more). propensity_scores holds the share of
spend per category (travel, dining, grocery, online); behaviour_embedding is left empty until
the clustering model ships.

Reads its own previous output (the CustomerSegmentation workspace sinks CustomerSegments): a
cardholder whose segment changes keeps the old one in previous_segment_code; one whose segment
stays keeps the previous_segment_code it had, so a rerun on the same data changes nothing but
scored_at. segment_definitions is rebuilt with the member counts.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from psycopg import sql

if TYPE_CHECKING:  # the harness's context; not imported at run time
    from psycopg import Connection

    from workers.python_transformer import TransformerContext

SEGMENTS = (
    ("dormant", "Dormant", {"payments_30d": 0}),
    ("occasional", "Occasional spender", {"payments_30d": "1-2"}),
    ("regular", "Regular spender", {"payments_30d": ">=3"}),
    ("high_value", "High value", {"spend_30d": ">=500"}),
)
SCORE = """
WITH window_ AS (
    SELECT (now() AT TIME ZONE 'UTC')::date - 30 AS first, (now() AT TIME ZONE 'UTC')::date AS today
), spend AS (
    SELECT t.cardholder_id, count(*) AS payments, sum(t.amount) AS total,
           sum(t.amount) FILTER (WHERE t.mcc IN ('4111', '4511', '7011')) AS travel,
           sum(t.amount) FILTER (WHERE t.mcc = '5812') AS dining,
           sum(t.amount) FILTER (WHERE t.mcc = '5411') AS grocery,
           sum(t.amount) FILTER (WHERE t.entry_mode = 'ecommerce') AS online
    FROM {transactions} t, window_ w
    WHERE (t.transaction_at AT TIME ZONE 'UTC')::date >= w.first
      AND (t.transaction_at AT TIME ZONE 'UTC')::date < w.today
    GROUP BY t.cardholder_id
), scored AS (
    SELECT c.cardholder_id,
           CASE WHEN s.total >= 500 THEN 'high_value' WHEN s.payments >= 3 THEN 'regular'
                WHEN s.payments >= 1 THEN 'occasional' ELSE 'dormant' END AS segment,
           jsonb_build_object(
               'travel', round(COALESCE(s.travel / NULLIF(s.total, 0), 0), 3),
               'dining', round(COALESCE(s.dining / NULLIF(s.total, 0), 0), 3),
               'grocery', round(COALESCE(s.grocery / NULLIF(s.total, 0), 0), 3),
               'online', round(COALESCE(s.online / NULLIF(s.total, 0), 0), 3)) AS scores
    FROM {cardholders} c LEFT JOIN spend s USING (cardholder_id)
)
INSERT INTO {target} AS t (cardholder_id, segment_code, previous_segment_code,
                           propensity_scores, behaviour_embedding, scored_at)
SELECT s.cardholder_id, s.segment,
       CASE WHEN p.segment_code IS DISTINCT FROM s.segment THEN p.segment_code
            ELSE p.previous_segment_code END,
       s.scores, NULL, now()
FROM scored s LEFT JOIN {previous} p USING (cardholder_id)
ON CONFLICT (cardholder_id) DO UPDATE SET
    segment_code = excluded.segment_code, previous_segment_code = excluded.previous_segment_code,
    propensity_scores = excluded.propensity_scores, scored_at = excluded.scored_at
"""
DEFINITIONS = """
INSERT INTO {target} (segment_code, segment_label, segment_rules, member_count, refreshed_at)
SELECT %(code)s::varchar, %(label)s::varchar, %(rules)s::jsonb,
       (SELECT count(*) FROM {segments} WHERE segment_code = %(code)s::varchar), now()
"""


def run(connection: Connection[Any], context: TransformerContext) -> None:
    """Score every cardholder, keep the segment before a change, rebuild the catalogue."""
    segments = context.output("cardholder_segments")
    names = {
        "transactions": context.input("CardPayments", "card_transactions"),
        "cardholders": context.input("Cardholders", "cardholders"),
        "previous": context.input("CustomerSegments", "cardholder_segments"),  # our own output
        "target": segments,
    }
    cardholders = names["cardholders"]
    definitions = context.output("segment_definitions")
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL(SCORE).format(**names))
        cursor.execute(
            sql.SQL("DELETE FROM {} WHERE cardholder_id NOT IN (SELECT cardholder_id FROM {})")
            .format(segments, cardholders)
        )  # fmt: skip
        cursor.execute(sql.SQL("DELETE FROM {}").format(definitions))
        statement = sql.SQL(DEFINITIONS).format(target=definitions, segments=segments)
        for code, label, rules in SEGMENTS:
            cursor.execute(statement, {"code": code, "label": label, "rules": json.dumps(rules)})
