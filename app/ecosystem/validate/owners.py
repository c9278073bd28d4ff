"""Rules on owners: each entry of the Ecosystem, its zones and teams should be an identity."""

from __future__ import annotations

from app.ecosystem.model import Model
from app.ecosystem.owners import IDENTITY_FORMS, OwnerSyntaxError, parse_owner
from app.ecosystem.problems import Problems, Source


def check(model: Model, problems: Problems) -> None:
    """Check every owner entry: malformed identities are errors, free text a warning."""
    if model.ecosystem is None or model.ecosystem_source is None:
        return
    source = model.ecosystem_source.at("spec")
    _entries(model.ecosystem.spec.owners, source.at("owners"), "Ecosystem/owners", problems)
    for i, declared in enumerate(model.ecosystem.spec.zones):
        at = source.at("zones", i, "owners")
        _entries(declared.owners, at, f"Ecosystem/zones/{declared.name}/owners", problems)
    for zone in model.zones.values():
        if zone.builtin or zone.spec is None or zone.source is None:
            continue
        for i, team in enumerate(zone.spec.teams):
            at = zone.source.at("spec", "teams", i, "owners")
            path = f"GovernanceZone/{zone.name}/teams/{team.name}/owners"
            _entries(team.owners, at, path, problems)


def _entries(entries: list[str], at: Source, path: str, problems: Problems) -> None:
    for i, entry in enumerate(entries):
        try:
            identity = parse_owner(entry)
        except OwnerSyntaxError as error:
            problems.error(
                "invalid-owner",
                f"owner {entry!r} is malformed: {error}; expected {IDENTITY_FORMS}",
                at.at(i),
                path,
            )
            continue
        if identity is None:
            problems.warning(
                "owner-not-an-identity",
                f"owner {entry!r} is free text that no approval or CODEOWNERS can match; "
                f"write it as {IDENTITY_FORMS}",
                at.at(i),
                path,
            )
