"""The MySQL → model type compatibility table and the COPY text of values (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.ingestion.mysql_types import SourceColumn, UnfitValueError, castable, fixup
from app.ingestion.source_mysql import quote_name


def column(column_type: str, length: int | None = None) -> SourceColumn:
    """A source column described as information_schema would."""
    data_type = column_type.split("(")[0].split()[0]
    params = column_type.split("(")[1].split(")")[0].split(",") if "(" in column_type else []
    precision = int(params[0]) if data_type == "decimal" else None
    scale = int(params[1]) if data_type == "decimal" else None
    if data_type in ("char", "varchar"):
        length = int(params[0])
    return SourceColumn("c", data_type, column_type, length, precision, scale)


@pytest.mark.parametrize(
    ("source", "warehouse", "allowed"),
    [
        ("tinyint(4)", "smallint", True),
        ("smallint(6) unsigned", "smallint", False),  # 0..65535 needs integer
        ("smallint(6) unsigned", "integer", True),
        ("int(11)", "integer", True),
        ("int(10) unsigned", "integer", False),
        ("int(10) unsigned", "bigint", True),
        ("bigint(20) unsigned", "bigint", False),
        ("bigint(20) unsigned", "numeric(20,0)", True),
        ("bigint(20)", "numeric(19,2)", False),  # 17 integer digits < 20
        ("decimal(18,4)", "numeric(18,4)", True),
        ("decimal(18,4)", "numeric(20,6)", True),
        ("decimal(18,4)", "numeric(18,2)", False),  # would round
        ("decimal(18,4)", "numeric(18,6)", False),  # 12 integer digits < 14
        ("double", "double precision", True),
        ("decimal(10,2)", "real", True),
        ("varchar(20)", "numeric(18,4)", False),
        ("tinyint(1)", "boolean", True),
        ("tinyint(4)", "boolean", False),
        ("varchar(100)", "varchar(255)", True),
        ("varchar(300)", "varchar(255)", False),
        ("longtext", "varchar(255)", False),
        ("longtext", "text", True),
        ("enum('a','b')", "text", True),
        ("int(11)", "text", False),
        ("date", "date", True),
        ("datetime", "date", False),
        ("datetime(6)", "timestamp", True),
        ("timestamp", "timestamp", True),
        ("timestamp", "timestamptz", True),
        ("datetime", "timestamptz", False),  # no zone: which one would it be?
        ("time", "time", True),
        ("json", "jsonb", True),
        ("longtext", "jsonb", True),  # MariaDB's json
        ("blob", "bytea", True),
        ("varbinary(16)", "bytea", True),
        ("text", "bytea", False),
        ("char(36)", "uuid", True),
        ("int(11)", "real[]", False),
    ],
)
def test_the_compatibility_table(source: str, warehouse: str, allowed: bool) -> None:
    assert castable(column(source), warehouse) is allowed


def test_values_are_fixed_only_where_the_warehouse_needs_it() -> None:
    assert fixup(column("decimal(18,4)"), "numeric(18,4)") is None  # Decimal as it is
    assert fixup(column("varchar(20)"), "varchar(20)") is None
    assert fixup(column("blob"), "bytea") is None
    assert _fixed("tinyint(1)", "boolean", 0) is False
    assert _fixed("tinyint(1)", "boolean", 2) is True
    assert _fixed("timestamp", "timestamptz", datetime(2024, 1, 1, 10)) == datetime(
        2024, 1, 1, 10, tzinfo=UTC
    )
    assert _fixed("date", "timestamp", date(2024, 1, 1)) == datetime(2024, 1, 1)
    assert _fixed("decimal(10,2)", "double precision", Decimal("1.25")) == 1.25


def _fixed(source: str, warehouse: str, value: object) -> object:
    fix = fixup(column(source), warehouse)
    assert fix is not None
    return fix(value)


@pytest.mark.parametrize(
    ("source", "warehouse", "value"),
    [
        ("date", "date", "0000-00-00"),
        ("datetime", "timestamp", "0000-00-00 00:00:00"),
        ("datetime", "timestamp", "2024-00-10 00:00:00"),
        ("timestamp", "timestamptz", "0000-00-00 00:00:00"),
        ("time", "time", "30:00:00"),
    ],
)
def test_a_value_the_driver_left_as_text_is_refused(
    source: str, warehouse: str, value: str
) -> None:
    with pytest.raises(UnfitValueError):
        _fixed(source, warehouse, value)


def test_a_backtick_in_a_name_is_doubled() -> None:
    assert quote_name("a`b") == "`a``b`"
    assert quote_name("plain") == "`plain`"
