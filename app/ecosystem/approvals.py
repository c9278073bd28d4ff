"""Whose approval a model change needs: the owners of what changes and of whom it breaks (pure).

A changed entity needs one of its owning team's owners, as the head model says and, when the
entity already existed under other owners, as the active model says too (giving a datastore to
another team needs both). A breaking change also needs an owner of each affected consumer
workspace's team, as the active model says. Changing who owns a team or a zone needs its current
owners (the active model's) and the owners above it: nobody makes themselves an owner alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.ecosystem.changes import Change, Impact
from app.ecosystem.model import Model
from app.ecosystem.owners import Owner, identities
from app.ecosystem.ownership import ecosystem_owners, team_owners, zone_owners

ECOSYSTEM = "the Ecosystem"


@dataclass(frozen=True, slots=True)
class Owning:
    """Who owns something: a team, a zone or the Ecosystem, and its owner identities."""

    label: str  # "team USA/FrontOffice", "zone USA" or "the Ecosystem"
    owners: tuple[Owner, ...]

    @property
    def key(self) -> tuple[str, frozenset[tuple[str, str, str]]]:
        """Requirements of the same owning and the same owners are one requirement."""
        return self.label, frozenset(owner.key for owner in self.owners)


@dataclass(slots=True)
class Requirement:
    """One approval needed: from any one of the owners of `owning`, for these reasons."""

    owning: Owning
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BreakingChange:
    """A breaking change and the teams of the consumer workspaces it affects."""

    change: Change
    workspaces: tuple[tuple[str, str], ...]  # (workspace, its team as "zone/team")


@dataclass(slots=True)
class Assessment:
    """What a change to the model asks for: its breaking changes, changed teams, approvals."""

    changes: list[Change]
    breaking: list[BreakingChange]
    changed: list[str]  # the labels of the teams (zones, Ecosystem) whose entities change
    requirements: list[Requirement]


def assess(changes: list[Change], head: Model, active: Model) -> Assessment:
    """The breaking changes, changed owners and approvals needed to go from active to head."""
    needed: dict[tuple[str, frozenset[tuple[str, str, str]]], Requirement] = {}

    def need(owning: Owning | None, reason: str) -> None:
        if owning is not None:
            found = needed.setdefault(owning.key, Requirement(owning))
            if reason not in found.reasons:
                found.reasons.append(reason)

    changed: dict[str, None] = {}
    for change in changes:
        now, before = owning_of(head, change.path), owning_of(active, change.path)
        for owning in (
            now or before,
            before if now and before and before.label != now.label else None,
        ):
            if owning is not None:
                changed.setdefault(owning.label)
                need(owning, f"changes {change.path}")
    breaking = [
        _breaking(change, active) for change in changes if change.severity is Impact.BREAKING
    ]
    for item in breaking:
        for workspace, team in item.workspaces:
            zone, _, name = team.partition("/")
            owning = Owning(f"team {team}", team_owners(active, zone, name))
            need(owning, f"its workspace {workspace} is broken by {item.change.path}")
    for owning, reason in _owner_changes(head, active):
        need(owning, reason)
    return Assessment(changes, breaking, list(changed), list(needed.values()))


def owning_of(model: Model, path: str) -> Owning | None:
    """Who owns what a change's path names in this model; None when the model has no such thing."""
    kind, _, rest = path.partition("/")
    name = rest.split("/", 1)[0]
    if kind in ("Datastore", "Workspace"):
        entity = (model.datastores if kind == "Datastore" else model.workspaces).get(name)
        if entity is None:
            return None
        return Owning(
            f"team {entity.zone}/{entity.team}", team_owners(model, entity.zone, entity.team)
        )
    if kind == "GovernanceZone" and "/teams/" in rest:
        if name not in model.zones:
            return None
        return Owning(f"zone {name}", zone_owners(model, name))
    return Owning(ECOSYSTEM, ecosystem_owners(model))  # a zone, the Ecosystem's vocabulary


def _breaking(change: Change, active: Model) -> BreakingChange:
    teams = []
    for name in change.affected:
        workspace = active.workspaces.get(name)
        if workspace is not None:
            teams.append((name, f"{workspace.zone}/{workspace.team}"))
    return BreakingChange(change, tuple(teams))


def _owner_changes(head: Model, active: Model) -> list[tuple[Owning, str]]:
    """Approvals a change of owners needs: the current owners', and the owners above them."""
    found: list[tuple[Owning, str]] = []
    for zone in sorted(set(head.zones) & set(active.zones)):
        new, old = head.zones[zone], active.zones[zone]
        before = identities(old.declaration.owners) if old.declaration else ()
        after = identities(new.declaration.owners) if new.declaration else ()
        if {o.key for o in before} != {o.key for o in after}:
            reason = f"the owners of zone {zone} change"
            found += [(Owning(f"zone {zone}", zone_owners(active, zone)), reason)]
            found += [(Owning(ECOSYSTEM, ecosystem_owners(head)), reason)]
        for team in sorted(set(new.teams) & set(old.teams)):
            if {o.key for o in identities(old.teams[team].owners)} != {
                o.key for o in identities(new.teams[team].owners)
            }:
                reason = f"the owners of team {zone}/{team} change"
                found += [(Owning(f"team {zone}/{team}", team_owners(active, zone, team)), reason)]
                found += [(Owning(f"zone {zone}", zone_owners(head, zone)), reason)]
    return found
