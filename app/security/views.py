"""Whether a view is the one the model asks for, judged by what it exposes and reads."""

from __future__ import annotations

from app.security.actual import Relation
from app.security.desired import ViewSpec


def same_definition(found: Relation, source: dict[str, int] | None, view: ViewSpec) -> bool:
    """True when the view (reading `source`: packed column numbers by name) exposes exactly the view's columns, in order, and reads nothing else.

    What a view reads comes from pg_depend (relation and column). A hand edit that reads
    another column or relation, renames, adds or drops a column is a difference; one that
    only transforms a column it already reads (upper(x) AS x) is not.
    """
    if found.columns != view.columns or source is None:
        return False
    if any(c not in source for c in view.columns):
        return False
    return found.reads == tuple(sorted({source[c] for c in view.columns}))
