"""The MySQL → model type compatibility table and the COPY text of values (pure)."""

from __future__ import annotations

import pytest

from app.ingestion.mysql_types import SourceColumn, castable, encoder, zero_date
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


def test_values_are_written_as_copy_text() -> None:
    assert encoder(column("varchar(20)"), "varchar(20)")("a\tb\nc\\d\re") == "a\\tb\\nc\\\\d\\re"
    assert encoder(column("blob"), "bytea")(b"\x00\\") == "\\\\x005c"
    assert encoder(column("tinyint(1)"), "boolean")("0") == "f"
    assert encoder(column("tinyint(1)"), "boolean")("2") == "t"
    assert encoder(column("timestamp"), "timestamptz")("2024-01-01 10:00:00") == (
        "2024-01-01 10:00:00+00"
    )
    assert encoder(column("decimal(18,4)"), "numeric(18,4)")("-1.5000") == "-1.5000"


@pytest.mark.parametrize(
    ("value", "zero"),
    [
        ("0000-00-00", True),
        ("0000-00-00 00:00:00", True),
        ("2024-00-10", True),
        ("2024-01-00 10:00:00", True),
        ("2024-01-01", False),
        ("2024-12-31 23:59:59.999999", False),
    ],
)
def test_zero_dates(value: str, zero: bool) -> None:
    assert zero_date(column("datetime"), value) is zero


def test_a_backtick_in_a_name_is_doubled() -> None:
    assert quote_name("a`b") == "`a``b`"
    assert quote_name("plain") == "`plain`"
