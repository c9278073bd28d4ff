"""The validation rules of MODEL.md: each rule reports problems with a stable code."""

from __future__ import annotations

from app.ecosystem.model import Model
from app.ecosystem.problems import Problems, Source
from app.ecosystem.spec.documents import TeamDocument
from app.ecosystem.validate import governance, owners, physical, sinks, stores, workspaces
from app.ecosystem.validate.beside import SINKS_BESIDE, beside


def validate(
    model: Model,
    undeclared_teams: list[tuple[TeamDocument, Source]],
    problems: Problems,
    sinks_beside: int = SINKS_BESIDE,
) -> None:
    """Run every rule over a loaded model.

    The sink rules of a model with at least `sinks_beside` sinks run in a forked process beside
    the others when this process may fork (see beside.py); the problems are the same, in the
    same order.
    """
    governance.check(model, undeclared_teams, problems)
    owners.check(model, problems)
    physical_problems = Problems()  # found while the sinks are checked, reported after them
    with beside(sinks.check, model, sinks_beside) as sink_problems:
        stores.check(model, problems)
        workspaces.check(model, problems)
        physical.check(model, physical_problems)
    problems.items.extend(sink_problems.items)
    problems.items.extend(physical_problems.items)
