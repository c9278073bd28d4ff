"""Who is responsible for each entity and each model file: the owning-team rule (pure).

A datastore, workspace or transformer belongs to its team; a Team document to its zone; a
GovernanceZone document and the Ecosystem document to the Ecosystem. When an owner declares
no identity, responsibility goes up: a team's to its zone, a zone's to the Ecosystem.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from app.ecosystem.model import Datastore, Model, Team, Transformer, Workspace, Zone
from app.ecosystem.owners import Owner, OwnerKind, identities
from app.ecosystem.problems import Source
from app.ecosystem.spec.documents import EcosystemDocument

Entity = Datastore | Workspace | Transformer | Team | Zone | EcosystemDocument


def owners_of(model: Model, entity: Entity) -> tuple[Owner, ...]:
    """The owners responsible for an entity, by the owning-team rule."""
    if isinstance(entity, EcosystemDocument | Zone):
        return ecosystem_owners(model)
    if isinstance(entity, Team):
        return zone_owners(model, entity.zone)
    if isinstance(entity, Transformer):
        workspace = model.workspaces.get(entity.workspace)
        return owners_of(model, workspace) if workspace else ecosystem_owners(model)
    return team_owners(model, entity.zone, entity.team)


def ecosystem_owners(model: Model) -> tuple[Owner, ...]:
    """The identities among the Ecosystem's owners."""
    return identities(model.ecosystem.spec.owners) if model.ecosystem else ()


def zone_owners(model: Model, zone: str) -> tuple[Owner, ...]:
    """The identities owning a zone (declared by the Ecosystem), else the Ecosystem's."""
    found = model.zones.get(zone)
    declared = identities(found.declaration.owners) if found and found.declaration else ()
    return declared or ecosystem_owners(model)


def team_owners(model: Model, zone: str, team: str) -> tuple[Owner, ...]:
    """The identities owning a team (declared by its zone), else its zone's."""
    found = model.team(zone, team)
    return (identities(found.owners) if found else ()) or zone_owners(model, zone)


def entities_by_file(model: Model) -> dict[str, list[Entity]]:
    """The entities each model file declares (builtins, which have no file, left out)."""
    found: defaultdict[str, list[Entity]] = defaultdict(list)

    def add(source: Source | None, entity: Entity, builtin: bool = False) -> None:
        if source is not None and not builtin:
            found[source.file].append(entity)

    if model.ecosystem is not None:
        add(model.ecosystem_source, model.ecosystem)
    for zone in model.zones.values():
        add(zone.source, zone, zone.builtin)
        for team in zone.teams.values():
            add(team.source, team, team.builtin)
    for store in model.datastores.values():
        add(store.source, store, store.builtin or store.producer is not None)
    for workspace in model.workspaces.values():
        add(workspace.source, workspace, workspace.builtin)
    return dict(found)


def owners_by_file(model: Model) -> dict[str, tuple[Owner, ...]]:
    """The owners of every model file: the union of the owners of the entities in it."""
    return {
        file: _union(owners_of(model, entity) for entity in entities)
        for file, entities in entities_by_file(model).items()
    }


def owners_of_file(model: Model, path: str) -> tuple[Owner, ...]:
    """The owners of one model file; a file declaring no entity is the Ecosystem's."""
    entities = entities_by_file(model).get(path)
    if not entities:
        return ecosystem_owners(model)
    return _union(owners_of(model, entity) for entity in entities)


def _union(groups: Iterable[tuple[Owner, ...]]) -> tuple[Owner, ...]:
    seen: dict[tuple[str, OwnerKind, str], Owner] = {}
    for group in groups:
        for owner in group:
            seen.setdefault(owner.key, owner)
    return tuple(seen.values())
