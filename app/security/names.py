"""Physical names in the warehouse, and SQL quoting of identifiers and literals."""

from __future__ import annotations

from functools import lru_cache

from app.ecosystem.names import output_schema as output_schema  # the names a run is given too
from app.ecosystem.names import physical_name
from app.ecosystem.names import transformer_role as transformer_role
from app.ecosystem.names import workspace_schema as workspace_schema

MAX_IDENTIFIER_BYTES = 63
HASH_LENGTH = 8


@lru_cache(maxsize=1 << 17)
def physical(name: str) -> str:
    """A model name as a warehouse name: lower-case, at most 63 bytes (longer: prefix_hash)."""
    return physical_name("", name)


def raw_table(datastore: str, dataset: str) -> str:
    """The raw table of an ingested dataset (in schema `raw`)."""
    return physical(f"{datastore}__{dataset}")


def read_role(workspace: str, prefix: str = "") -> str:
    """The NOLOGIN role that may read a workspace's views (roles are cluster-wide: a prefix
    keeps two warehouses of one cluster apart)."""
    return physical(f"{prefix}ws_{workspace}_read")


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
