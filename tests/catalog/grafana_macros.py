"""The few macros of Grafana's PostgreSQL data source that deploy/grafana/ecoplane-work.json uses,
expanded as Grafana expands them, so that a test can run each panel's query itself.

Grafana replaces, before it sends a query (its documentation of the PostgreSQL data source):

- `$__timeFilter(col)` by `col BETWEEN '<from>' AND '<to>'` (the dashboard's range, RFC 3339);
- `$__timeGroup(col, '1d')` by `floor(extract(epoch from col)/86400)*86400` (epoch seconds of
  the interval's start), and `$__timeGroupAlias(col, '1d')` by the same `AS "time"`;
- `$__timeFrom()` and `$__timeTo()` by the range's ends, quoted.

Any other `$__` macro, or a `$variable`, is refused: a panel using one must be taught here first.
"""

from __future__ import annotations

import re
from datetime import datetime

SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
GROUP = re.compile(r"\$__timeGroup(Alias)?\(\s*([^,()]+?)\s*,\s*'(\d+)([smhd])'\s*\)")
FILTER = re.compile(r"\$__timeFilter\(\s*([^()]+?)\s*\)")


def expand(sql: str, start: datetime, end: datetime) -> str:
    """The query with the macros replaced for the range start..end."""
    frm, to = (f"'{moment.isoformat()}'" for moment in (start, end))

    def group(match: re.Match[str]) -> str:
        seconds = int(match[3]) * SECONDS[match[4]]
        grouped = f"floor(extract(epoch from {match[2]})/{seconds})*{seconds}"
        return f'{grouped} AS "time"' if match[1] else grouped

    sql = GROUP.sub(group, sql)
    sql = FILTER.sub(lambda match: f"{match[1]} BETWEEN {frm} AND {to}", sql)
    sql = sql.replace("$__timeFrom()", frm).replace("$__timeTo()", to)
    left = re.search(r"\$\w+", sql)
    if left is not None:
        raise ValueError(f"a macro or variable the test does not expand: {left[0]}")
    return sql
