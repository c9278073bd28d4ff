"""Whether a view's definition, as the server prints it, is the one the model asks for."""

from __future__ import annotations

from app.security.desired import ViewSpec


def _normal(text: str) -> str:
    """Whitespace collapsed, quotes and the final semicolon gone: servers differ in those."""
    return " ".join(text.replace('"', "").split()).rstrip(";").strip()


def same_definition(definition: str, view: ViewSpec) -> bool:
    """True when pg_get_viewdef's text selects exactly the view's columns from its source.

    Postgres 15 qualifies each column with the table's name, later versions do not; the
    schema is left out when it is on the search path.
    """
    text = _normal(definition)
    table = view.source_table
    for source in (f"{view.source_schema}.{table}", table):
        for prefix in ("", f"{table}."):
            columns = ", ".join(prefix + c for c in view.columns)
            if text == _normal(f"SELECT {columns} FROM {source}"):
                return True
    return False
