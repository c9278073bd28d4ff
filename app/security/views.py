"""Whether a view is the one the model asks for, judged by what it exposes and reads."""

from __future__ import annotations

from app.security.actual import Relation
from app.security.desired import ViewSpec
from app.security.names import qualified, quote_ident


def reads(view: ViewSpec) -> tuple[str, ...]:
    """The columns the view's rule reads, as the catalog reader spells them, sorted."""
    source = qualified(view.source_schema, view.source_table)
    return tuple(sorted({f"{source}.{quote_ident(c)}" for c in view.columns}))


def same_definition(found: Relation, view: ViewSpec) -> bool:
    """True when the view exposes exactly the view's columns, in order, and reads nothing else.

    A hand edit that reads another column or relation, renames, adds or drops a column is a
    difference; one that only transforms a column it already reads (upper(x) AS x) is not.
    """
    return found.columns == view.columns and found.reads == reads(view)
