"""Validated documents to one model: register every entity once, report duplicates."""

from __future__ import annotations

from dataclasses import dataclass

from app.ecosystem.model import Datastore, Model, Team, Transformer, Workspace, Zone
from app.ecosystem.problems import Problems, Source
from app.ecosystem.spec.documents import (
    DatastoreDocument,
    Document,
    EcosystemDocument,
    GovernanceZoneDocument,
    TeamDocument,
    WorkspaceDocument,
)
from app.ecosystem.spec.governance import Location

KIND_ORDER = {
    EcosystemDocument: 0,
    GovernanceZoneDocument: 1,
    TeamDocument: 2,
    DatastoreDocument: 3,
    WorkspaceDocument: 4,
}


@dataclass(frozen=True, slots=True)
class Placed:
    """A validated document, where it came from, and whether ecoplane added it."""

    document: Document
    source: Source
    builtin: bool = False


class Assembler:
    """Builds a Model from documents, reporting duplicate and redefined names."""

    def __init__(self, problems: Problems) -> None:
        self.model = Model()
        self.problems = problems
        self.builtin_names: set[tuple[str, str]] = set()
        self.folded: dict[str, dict[str, str]] = {
            "datastore": {},
            "workspace": {},
            "transformer": {},
        }
        self.undeclared_teams: list[tuple[TeamDocument, Source]] = []

    def add_all(self, placed: list[Placed]) -> Model:
        """Register every document, builtins first so user documents cannot replace them."""
        for item in sorted(placed, key=lambda p: (not p.builtin, KIND_ORDER[type(p.document)])):
            self._add(item)
        return self.model

    def _add(self, item: Placed) -> None:
        doc = item.document
        if isinstance(doc, EcosystemDocument):
            self._ecosystem(doc, item.source)
        elif isinstance(doc, GovernanceZoneDocument):
            self._zone(doc, item)
        elif isinstance(doc, TeamDocument):
            self._team(doc, item)
        elif isinstance(doc, DatastoreDocument):
            store = Datastore(
                doc.metadata.name,
                doc.metadata.zone,
                doc.metadata.team,
                doc.spec,
                item.source.at("spec"),
                f"Datastore/{doc.metadata.name}",
                doc.metadata.description,
                doc.metadata.labels,
                doc.spec.ingestion,
                builtin=item.builtin,
            )
            self._datastore(store, item.source.at("metadata", "name"))
        else:
            self._workspace(doc, item)

    def _claim(self, kind: str, name: str, source: Source, path: str, builtin: bool) -> bool:
        """Take a name for an entity; False (with a problem) when it is taken."""
        if builtin:
            self.builtin_names.add((kind, name.lower()))
            return True
        if (kind, name.lower()) in self.builtin_names:
            self._redefined(kind, name, source, path)
            self._rejected(kind, name)
            return False
        folded = self.folded.get(kind)
        if folded is None:
            return True
        existing = folded.get(name.lower())
        if existing is not None:
            same = (
                "" if existing == name else f" (as {existing!r}; names are compared ignoring case)"
            )
            self.problems.error(
                "duplicate-name", f"{kind} {name!r} is defined more than once{same}", source, path
            )
            self._rejected(kind, name)
            return False
        folded[name.lower()] = name
        return True

    def _ecosystem(self, doc: EcosystemDocument, source: Source) -> None:
        model = self.model
        if model.ecosystem is not None:
            first = model.ecosystem_source.file if model.ecosystem_source else "?"
            self.problems.error(
                "ecosystem-duplicate",
                f"a model has one Ecosystem document; another is in {first}",
                source.at("kind"),
                f"Ecosystem/{doc.metadata.name}",
            )
            return
        model.ecosystem, model.ecosystem_source = doc, source
        model.classifications = frozenset(doc.spec.classifications)
        self._declared_zones(doc, source)
        self._vendors(doc, source)
        self._platforms(doc, source)

    def _declared_zones(self, doc: EcosystemDocument, source: Source) -> None:
        for i, zone in enumerate(doc.spec.zones):
            at = source.at("spec", "zones", i)
            if ("zone", zone.name.lower()) in self.builtin_names:
                self._redefined("zone", zone.name, at.at("name"), f"Ecosystem/zones/{zone.name}")
                continue
            if zone.name in self.model.zones:
                self._duplicate("zone", zone.name, at.at("name"), f"Ecosystem/zones/{zone.name}")
                continue
            self.model.zones[zone.name] = Zone(zone.name, zone, at, description=zone.description)

    def _vendors(self, doc: EcosystemDocument, source: Source) -> None:
        for i, vendor in enumerate(doc.spec.vendors):
            at, path = source.at("spec", "vendors", i), f"Ecosystem/vendors/{vendor.name}"
            if vendor.name in self.model.vendors:
                self._duplicate("vendor", vendor.name, at.at("name"), path)
                continue
            self.model.vendors[vendor.name] = vendor
            self._locations(vendor.name, "", vendor.locations, at, path)

    def _platforms(self, doc: EcosystemDocument, source: Source) -> None:
        model = self.model
        for i, provider in enumerate(doc.spec.platforms):
            at, path = source.at("spec", "platforms", i), f"Ecosystem/platforms/{provider.name}"
            if provider.name in model.providers:
                self._duplicate("platform provider", provider.name, at.at("name"), path)
                continue
            model.providers[provider.name] = provider
            for j, platform in enumerate(provider.data_platforms):
                if platform.name in model.data_platforms:
                    where = f"{path}/dataPlatforms/{platform.name}"
                    self._duplicate(
                        "data platform", platform.name, at.at("dataPlatforms", j, "name"), where
                    )
                    continue
                model.data_platforms[platform.name] = platform
                model.platform_providers[platform.name] = provider.name

    def _locations(
        self, vendor: str, prefix: str, locations: list[Location], at: Source, path: str
    ) -> None:
        for i, location in enumerate(locations):
            here, where = at.at("locations", i), f"{path}/locations/{location.name}"
            key = f"{vendor}:{prefix}{location.name}"
            if key in self.model.locations:
                self._duplicate("location", location.name, here.at("name"), where)
                continue
            self.model.locations[key] = location
            self._locations(vendor, f"{prefix}{location.name}/", location.locations, here, where)

    def _rejected(self, kind: str, name: str) -> None:
        """Remember a rejected definition, so references to its name are not reported again."""
        self.model.broken.add((kind.capitalize(), name))

    def _redefined(self, kind: str, name: str, source: Source, path: str) -> None:
        self.problems.error(
            "builtin-redefined",
            f"{kind} {name!r} is a builtin of ecoplane and cannot be redefined",
            source,
            path,
        )

    def _duplicate(self, kind: str, name: str, source: Source, path: str) -> None:
        self.problems.error(
            "duplicate-name", f"{kind} {name!r} is defined more than once", source, path
        )

    def _zone(self, doc: GovernanceZoneDocument, item: Placed) -> None:
        name = doc.metadata.name
        if not self._claim(
            "zone", name, item.source.at("metadata", "name"), f"GovernanceZone/{name}", item.builtin
        ):
            return
        zone = self.model.zones.setdefault(name, Zone(name))
        if zone.spec is not None:
            self._duplicate(
                "GovernanceZone", name, item.source.at("metadata", "name"), f"GovernanceZone/{name}"
            )
            return
        zone.spec, zone.source, zone.builtin = doc.spec, item.source, item.builtin
        zone.description = doc.metadata.description or zone.description
        for i, team in enumerate(doc.spec.teams):
            at = item.source.at("spec", "teams", i)
            if team.name in zone.teams:
                self._duplicate(
                    "team", team.name, at.at("name"), f"GovernanceZone/{name}/teams/{team.name}"
                )
                continue
            zone.teams[team.name] = Team(
                name,
                team.name,
                at,
                description=team.description,
                owners=tuple(team.owners),
                builtin=item.builtin,
            )

    def _team(self, doc: TeamDocument, item: Placed) -> None:
        zone_name, name = doc.metadata.zone, doc.metadata.name
        zone = self.model.zones.get(zone_name)
        team = zone.teams.get(name) if zone else None
        if zone is None or team is None:
            # unknown zone or undeclared team: reported by validation, which sees the document
            self.undeclared_teams.append((doc, item.source))
            return
        if team.source is not None:
            report = self._redefined if team.builtin else self._duplicate
            report("Team", name, item.source.at("metadata", "name"), f"Team/{zone_name}/{name}")
            return
        team.source = item.source
        team.description = doc.metadata.description or team.description

    def _datastore(self, store: Datastore, name_source: Source) -> None:
        kind = "datastore"
        if not self._claim(kind, store.name, name_source, store.path, store.builtin):
            return
        self.model.datastores[store.name] = store
        for dataset in store.body.datasets:
            store.datasets.setdefault(dataset.name, dataset)

    def _workspace(self, doc: WorkspaceDocument, item: Placed) -> None:
        meta = doc.metadata
        path = f"Workspace/{meta.name}"
        if not self._claim(
            "workspace", meta.name, item.source.at("metadata", "name"), path, item.builtin
        ):
            return
        self.model.workspaces[meta.name] = Workspace(
            meta.name,
            meta.zone,
            meta.team,
            doc.spec,
            item.source,
            meta.description,
            meta.labels,
            item.builtin,
        )
        spec = doc.spec.transformer
        if spec is None:
            return
        at = item.source.at("spec", "transformer")
        if self._claim(
            "transformer", spec.name, at.at("name"), f"{path}/transformer", item.builtin
        ):
            self.model.transformers[spec.name] = Transformer(
                spec.name, meta.name, spec, at, item.builtin
            )
        output = spec.output
        store = Datastore(
            output.name,
            meta.zone,
            meta.team,
            output,
            at.at("output"),
            f"{path}/transformer/output",
            output.description,
            output.labels,
            producer=spec.name,
            builtin=item.builtin,
        )
        if output.name.lower() in self.folded["datastore"] and not item.builtin:
            other = self.model.datastores.get(self.folded["datastore"][output.name.lower()])
            writer = (
                f"transformer {other.producer!r}"
                if other and other.producer
                else "a Datastore document"
            )
            self.problems.error(
                "output-store-conflict",
                f"transformer {spec.name!r} writes datastore "
                f"{output.name!r}, which is also written by {writer}; a transformer's "
                "output is written by that transformer only",
                at.at("output", "name"),
                f"{path}/transformer/output",
            )
            return
        self._datastore(store, at.at("output", "name"))
