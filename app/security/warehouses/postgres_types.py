"""Column types of the model as Postgres types, for the transformers' output tables."""

from __future__ import annotations

import functools
import re

from app.ecosystem.coltypes import ColumnType, parse_type

SIMPLE = {
    "boolean": "boolean",
    "smallint": "smallint",
    "integer": "integer",
    "bigint": "bigint",
    "real": "real",
    "double": "double precision",
    "text": "text",
    "date": "date",
    "time": "time",
    "timestamp": "timestamp",
    "timestamptz": "timestamptz",
    "interval": "interval",
    "json": "jsonb",
    "binary": "bytea",
    "uuid": "uuid",
}


def postgres_type(text: str) -> str:
    """The Postgres type of a model column type (maps and structs as jsonb, vectors as real[])."""
    return render_type(parse_type(text))


def render_type(parsed: ColumnType) -> str:
    """The Postgres type of a parsed model column type."""
    if parsed.base in SIMPLE:
        return SIMPLE[parsed.base]
    if parsed.base == "decimal":
        return f"numeric({parsed.params[0]},{parsed.params[1]})"
    if parsed.base in ("varchar", "char"):
        return f"{parsed.base}({parsed.params[0]})"
    if parsed.base == "vector":
        return "real[]"  # pgvector is not assumed to be installed
    if parsed.base == "array":
        element = render_type(parsed.args[0])
        return element if element.endswith("[]") else f"{element}[]"
    return "jsonb"  # map and struct


# what format_type says → how render_type spells the same type
SPELLINGS = (
    (re.compile(r"\btimestamp(\(\d+\))? without time zone"), r"timestamp\1"),
    (re.compile(r"\btimestamp(\(\d+\))? with time zone"), r"timestamptz\1"),
    (re.compile(r"\btime(\(\d+\))? without time zone"), r"time\1"),
    (re.compile(r"\bcharacter varying\b"), "varchar"),
    (re.compile(r"\bcharacter\b"), "char"),
)


@functools.lru_cache(maxsize=4096)
def model_spelling(formatted: str) -> str:
    """A column type as `format_type` renders it, spelled as `render_type` spells it (kept per
    spelling: a warehouse has ~100,000 columns of a few dozen types; five regular expressions
    each were a third of a sync that changes nothing)."""
    for pattern, spelling in SPELLINGS:
        formatted = pattern.sub(spelling, formatted)
    return formatted
