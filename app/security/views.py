"""Whether a view is the one the model asks for, judged by what it exposes and reads."""

from __future__ import annotations

from app.security.actual import Relation
from app.security.objects import ViewSpec
from app.security.raw import BATCH_OUT


def same_definition(found: Relation, source: dict[str, int] | None, view: ViewSpec) -> bool:
    """True when the view (reading `source`: packed column numbers by name) exposes exactly the view's columns, in order, and reads nothing else (a view of current rows: and the milestone its WHERE tests).

    What a view reads comes from pg_depend (relation and column). A hand edit that reads
    another column or relation, renames, adds or drops a column is a difference; one that
    only transforms a column it already reads (upper(x) AS x) is not.
    """
    if found.columns != view.columns or source is None:
        return False
    read = (*view.columns, BATCH_OUT) if view.current else view.columns  # its WHERE reads it
    try:
        packed = {source[c] for c in read}
    except KeyError:  # it would read a column the source does not have
        return False
    return len(packed) == len(found.reads) and found.reads == tuple(sorted(packed))
