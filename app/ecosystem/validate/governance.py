"""Rules on the ecosystem, its zones, teams, vendors, platforms and policies."""

from __future__ import annotations

from app.ecosystem.model import Model
from app.ecosystem.names import label_problem
from app.ecosystem.problems import Problems, Source
from app.ecosystem.spec.documents import TeamDocument
from app.ecosystem.spec.governance import Location


def check(
    model: Model, undeclared_teams: list[tuple[TeamDocument, Source]], problems: Problems
) -> None:
    """Check the governance part of the model."""
    if model.ecosystem is None or model.ecosystem_source is None:
        if not any(kind == "Ecosystem" for kind, _ in model.broken):  # else already reported
            problems.error(
                "ecosystem-missing",
                "the model has no Ecosystem document (kind: Ecosystem)",
                Source("."),
                "Ecosystem",
            )
        return  # zones, vocabulary and vendors are declared by it: checking them would only echo this
    _ecosystem(model, model.ecosystem_source, problems)
    _zones(model, problems)
    for doc, source in undeclared_teams:
        zone, name = doc.metadata.zone, doc.metadata.name
        path = f"Team/{zone}/{name}"
        if zone not in model.zones:
            problems.error(
                "unknown-zone",
                f"team {name!r} names zone {zone!r}, which the ecosystem does not declare",
                source.at("metadata", "zone"),
                path,
            )
        else:
            problems.error(
                "unknown-team",
                f"team {name!r} is not declared by zone {zone!r} (add it to the zone's spec.teams)",
                source.at("metadata", "name"),
                path,
            )


def _ecosystem(model: Model, source: Source, problems: Problems) -> None:
    assert model.ecosystem is not None
    spec = model.ecosystem.spec
    for i, vendor in enumerate(spec.vendors):
        at = source.at("spec", "vendors", i)
        _label(vendor.name, at.at("name"), f"Ecosystem/vendors/{vendor.name}", problems)
        _locations(vendor.locations, at, f"Ecosystem/vendors/{vendor.name}", problems)
    for i, provider in enumerate(spec.platforms):
        at = source.at("spec", "platforms", i)
        path = f"Ecosystem/platforms/{provider.name}"
        _label(provider.name, at.at("name"), path, problems)
        for j, platform in enumerate(provider.data_platforms):
            _label(
                platform.name,
                at.at("dataPlatforms", j, "name"),
                f"{path}/{platform.name}",
                problems,
            )
    for i, zone in enumerate(spec.zones):
        _label(
            zone.name,
            source.at("spec", "zones", i, "name"),
            f"Ecosystem/zones/{zone.name}",
            problems,
        )


def _locations(locations: list[Location], at: Source, path: str, problems: Problems) -> None:
    for i, location in enumerate(locations):
        here = at.at("locations", i)
        _label(location.name, here.at("name"), f"{path}/locations/{location.name}", problems)
        _locations(location.locations, here, f"{path}/locations/{location.name}", problems)


def _label(name: str, source: Source, path: str, problems: Problems) -> None:
    reason = label_problem(name)
    if reason:
        problems.error("invalid-name", reason, source, path)


def _zones(model: Model, problems: Problems) -> None:
    for zone in model.zones.values():
        if zone.builtin:
            continue
        path = f"GovernanceZone/{zone.name}"
        if zone.declaration is None and zone.source is not None:
            problems.error(
                "unknown-zone",
                f"zone {zone.name!r} is not declared by the ecosystem (add it to "
                "the Ecosystem's spec.zones)",
                zone.source.at("metadata", "name"),
                path,
            )
        if (
            zone.spec is None
            and zone.declared_at is not None
            and ("GovernanceZone", zone.name) not in model.broken
        ):
            problems.warning(
                "zone-not-defined",
                f"zone {zone.name!r} is declared but no GovernanceZone document defines it",
                zone.declared_at,
                f"Ecosystem/zones/{zone.name}",
            )
        for team in zone.teams.values():
            if team.declared_at is not None:
                _label(
                    team.name, team.declared_at.at("name"), f"{path}/teams/{team.name}", problems
                )
            if (
                team.source is None
                and team.declared_at is not None
                and ("Team", team.name) not in model.broken
            ):
                problems.warning(
                    "team-not-defined",
                    f"team {team.name!r} of zone {zone.name!r} is declared "
                    "but no Team document defines it",
                    team.declared_at,
                    f"{path}/teams/{team.name}",
                )
        if zone.spec is not None and zone.source is not None:
            _policies(model, zone.name, zone.source, problems)


def _policies(model: Model, zone_name: str, source: Source, problems: Problems) -> None:
    zone = model.zones[zone_name]
    assert zone.spec is not None
    policies = zone.spec.policies
    path = f"GovernanceZone/{zone_name}/policies"
    at = source.at("spec", "policies")
    for i, name in enumerate(policies.consumers.deny_classifications):
        if name not in model.classifications:
            problems.error(
                "unknown-classification",
                unknown_classification(model, name),
                at.at("consumers", "denyClassifications", i),
                f"{path}/consumers",
            )
    for i, vendor in enumerate(policies.storage.vendors):
        if vendor not in model.vendors:
            problems.error(
                "policy-unknown-vendor",
                f"storage policy names vendor {vendor!r}, which the ecosystem does not declare",
                at.at("storage", "vendors", i),
                f"{path}/storage",
            )
    for i, location in enumerate(policies.storage.locations):
        if location not in model.locations:
            problems.error(
                "policy-unknown-location",
                f"storage policy names location {location!r}, which "
                "is not a declared 'Vendor:location/path'",
                at.at("storage", "locations", i),
                f"{path}/storage",
            )


def unknown_classification(model: Model, name: str) -> str:
    """The message for a classification outside the vocabulary."""
    vocabulary = ", ".join(sorted(model.classifications)) or "(none declared)"
    return f"classification {name!r} is not in the ecosystem's vocabulary: {vocabulary}"
