"""MySQL/MariaDB columns against the model: which source types cast to which modelled ones (pure).

A modelled column is compared by its warehouse type (`RawColumn.type`, e.g. `numeric(18,4)`)
with the source column's `information_schema.columns` entry. The rule is that a value never
changes on the way: integers land in an integer type wide enough for the source's range, a
decimal in a decimal with as many integer digits and at least as many fractional ones, text in
text at least as long. docs/ingestion.md carries the same table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

# bits of each integer type, signed; unsigned ones need one more
INTEGER_BITS = {"tinyint": 8, "smallint": 16, "mediumint": 24, "int": 32, "bigint": 64}
WAREHOUSE_INTEGER_BITS = {"smallint": 16, "integer": 32, "bigint": 64}
# decimal digits the integer part of each integer type needs (unsigned bigint: 20)
INTEGER_DIGITS = {"tinyint": 3, "smallint": 5, "mediumint": 8, "int": 10, "bigint": 20}
TEXTS = frozenset("char varchar tinytext text mediumtext longtext enum set".split())
BINARIES = frozenset("binary varbinary tinyblob blob mediumblob longblob".split())
FLOATS = frozenset(("float", "double"))
DATES = frozenset(("date", "datetime", "timestamp"))
_PARAMS = re.compile(r"\((\d+)(?:,(\d+))?\)")


@dataclass(frozen=True, slots=True)
class SourceColumn:
    """A column as `information_schema.columns` describes it at a MySQL/MariaDB source."""

    name: str
    data_type: str  # e.g. int, decimal, varchar, longtext
    column_type: str  # e.g. int(10) unsigned, decimal(18,4), tinyint(1)
    length: int | None  # character_maximum_length
    precision: int | None  # numeric_precision
    scale: int | None  # numeric_scale

    @property
    def unsigned(self) -> bool:
        """Whether an integer or decimal column is unsigned."""
        return "unsigned" in self.column_type.lower()

    @property
    def is_flag(self) -> bool:
        """tinyint(1): MySQL's boolean."""
        return self.column_type.lower().startswith("tinyint(1)")


def _params(warehouse_type: str) -> tuple[int, ...]:
    match = _PARAMS.search(warehouse_type)
    if match is None:
        return ()
    return tuple(int(g) for g in match.groups() if g is not None)


def _integer_fits(source: SourceColumn, bits: int) -> bool:
    needed = INTEGER_BITS[source.data_type] + (1 if source.unsigned else 0)
    return needed <= bits


def _decimal_fits(source: SourceColumn, precision: int, scale: int) -> bool:
    if source.data_type in INTEGER_DIGITS:
        return precision - scale >= INTEGER_DIGITS[source.data_type]
    if source.data_type != "decimal" or source.precision is None or source.scale is None:
        return False
    return scale >= source.scale and precision - scale >= source.precision - source.scale


def _text_fits(source: SourceColumn, length: int) -> bool:
    return source.data_type in ("char", "varchar") and (source.length or 0) <= length


def castable(source: SourceColumn, warehouse_type: str) -> bool:
    """Whether every value of the source column lands unchanged in the modelled column."""
    base = warehouse_type.split("(", 1)[0].strip()
    kind = source.data_type
    if base in WAREHOUSE_INTEGER_BITS:
        return kind in INTEGER_BITS and _integer_fits(source, WAREHOUSE_INTEGER_BITS[base])
    if base == "numeric":
        params = _params(warehouse_type)
        return len(params) == 2 and _decimal_fits(source, params[0], params[1])
    if base in ("real", "double precision"):
        return kind in FLOATS or kind in INTEGER_BITS or kind == "decimal"
    if base == "boolean":
        return source.is_flag or kind == "boolean"
    if base in ("varchar", "char"):
        params = _params(warehouse_type)
        return bool(params) and _text_fits(source, params[0])
    if base == "text":
        return kind in TEXTS or kind == "json"
    if base == "date":
        return kind == "date"
    if base == "timestamp":
        return kind in DATES
    if base == "timestamptz":
        return kind == "timestamp"
    if base == "time":
        return kind == "time"
    if base == "jsonb":  # json, map, struct: MariaDB's json is a longtext
        return kind == "json" or kind in TEXTS
    if base == "bytea":
        return kind in BINARIES
    if base == "uuid":
        return kind == "uuid" or (kind in ("char", "varchar") and (source.length or 0) >= 36)
    return False


# --- values: the driver's Python values, fixed where the warehouse's binary COPY needs it ---

Fixup = Callable[[Any], Any]
NO_DATE = "which is no date (a MySQL zero date, or a zero month or day)"


class UnfitValueError(ValueError):
    """A value the modelled type cannot hold; its text says why (the driver left it as text)."""


def _flag(value: Any) -> bool:
    return bool(value)


def _utc(value: Any) -> datetime:
    return _dated(value).replace(tzinfo=UTC)  # TIMESTAMPs are read in UTC (the session's zone)


def _dated(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    raise UnfitValueError(NO_DATE)


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    raise UnfitValueError(NO_DATE)


def _time(value: Any) -> time:
    if isinstance(value, time):
        return value
    raise UnfitValueError("which is no time of day (MySQL's TIME spans -838:59:59 to 838:59:59)")


def _float(value: Any) -> float:
    return float(value)


def fixup(source: SourceColumn, warehouse_type: str) -> Fixup | None:
    """What a value of the source column needs before the warehouse takes it, if anything."""
    base = warehouse_type.split("(", 1)[0].strip()
    if base == "boolean":
        return _flag
    if base == "timestamptz":
        return _utc
    if base == "timestamp":
        return _dated
    if source.data_type == "date":
        return _date
    if base == "time":
        return _time
    if base in ("real", "double precision") and source.data_type not in FLOATS:
        return _float
    return None
