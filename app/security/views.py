"""Whether a view is the one the model asks for, judged by what it exposes and reads.

A view is the model's when it exposes exactly the view's columns, in order, and reads nothing
else than them of its source (a view of current rows: and the milestone its WHERE tests).
What a view reads comes from pg_depend (relation and column). A hand edit that reads another
column or relation, renames, adds or drops a column is a difference; one that only transforms
a column it already reads (upper(x) AS x) is not. The plan compares (app/security/plan.py).
"""

from __future__ import annotations

from app.security.objects import ViewSpec
from app.security.raw import BATCH_OUT


def expected_reads(source: dict[str, int], view: ViewSpec) -> tuple[int, ...] | None:
    """What the view must read of its source (`source`: packed column numbers by name),
    sorted; None when it would read a column the source does not have. The same for every
    view of one source exposing the same columns: the plan works it out once for them."""
    read = (*view.columns, BATCH_OUT) if view.current else view.columns  # its WHERE reads it
    try:
        return tuple(sorted({source[c] for c in read}))
    except KeyError:
        return None
