"""Physical names in the warehouse, and SQL quoting of identifiers and literals."""

from __future__ import annotations

from app.ecosystem.names import output_schema as output_schema  # the names a run is given too
from app.ecosystem.names import physical as physical
from app.ecosystem.names import raw_table as raw_table
from app.ecosystem.names import read_role as read_role
from app.ecosystem.names import transformer_role as transformer_role
from app.ecosystem.names import workspace_schema as workspace_schema

MAX_IDENTIFIER_BYTES = 63
HASH_LENGTH = 8


def quote_ident(name: str) -> str:
    """An SQL identifier, always double-quoted, embedded quotes doubled; NUL is refused."""
    if "\x00" in name:
        raise ValueError("an SQL identifier cannot contain a NUL character")
    return '"' + name.replace('"', '""') + '"'


def qualified(schema: str, name: str) -> str:
    """schema.name, both quoted."""
    return f"{quote_ident(schema)}.{quote_ident(name)}"


def quote_literal(value: str) -> str:
    """An SQL string literal (standard_conforming_strings: only quotes are doubled)."""
    if "\x00" in value:
        raise ValueError("an SQL literal cannot contain a NUL character")
    if "\\" in value:  # E'' form: backslashes doubled too, whatever the server's setting
        return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
    return "'" + value.replace("'", "''") + "'"
