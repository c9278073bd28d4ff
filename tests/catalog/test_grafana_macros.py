"""The test's expansion of Grafana's macros gives the SQL Grafana sends, and refuses the rest."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.catalog.grafana_macros import expand

START = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
END = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def test_time_filter_and_groups_expand_as_grafana_does() -> None:
    sql = (
        "SELECT $__timeGroupAlias(created_at, '1d'), $__timeGroup(e.time,'5m') FROM runs"
        " WHERE $__timeFilter(created_at) AND x < $__timeTo() AND x > $__timeFrom()"
    )
    assert expand(sql, START, END) == (
        'SELECT floor(extract(epoch from created_at)/86400)*86400 AS "time",'
        " floor(extract(epoch from e.time)/300)*300 FROM runs"
        " WHERE created_at BETWEEN '2026-11-26T08:00:00+00:00' AND '2026-12-03T08:00:00+00:00'"
        " AND x < '2026-12-03T08:00:00+00:00' AND x > '2026-11-26T08:00:00+00:00'"
    )


@pytest.mark.parametrize("unknown", ["$__unixEpochFilter(t)", "$kind", "$__interval"])
def test_a_macro_or_variable_it_does_not_know_is_refused(unknown: str) -> None:
    with pytest.raises(ValueError, match=r"does not expand: \$"):
        expand(f"SELECT 1 WHERE {unknown}", START, END)
