"""The validation rules of MODEL.md: each rule reports problems with a stable code."""

from __future__ import annotations

from app.ecosystem.model import Model
from app.ecosystem.problems import Problems, Source
from app.ecosystem.spec.documents import TeamDocument
from app.ecosystem.validate import governance, owners, physical, sinks, stores, workspaces


def validate(
    model: Model, undeclared_teams: list[tuple[TeamDocument, Source]], problems: Problems
) -> None:
    """Run every rule over a loaded model."""
    governance.check(model, undeclared_teams, problems)
    owners.check(model, problems)
    stores.check(model, problems)
    workspaces.check(model, problems)
    sinks.check(model, problems)
    physical.check(model, problems)
