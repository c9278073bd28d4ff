"""The loaded model: every entity by name, with where it was declared."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.ecosystem.problems import Problem, Source
from app.ecosystem.spec.base import ProductionStatus
from app.ecosystem.spec.datastore import Dataset, Ingestion, StoreBody
from app.ecosystem.spec.documents import EcosystemDocument
from app.ecosystem.spec.governance import (
    DataPlatform,
    Location,
    PlatformProvider,
    Vendor,
    ZoneDeclaration,
    ZoneSpec,
)
from app.ecosystem.spec.workspace import TransformerSpec, WorkspaceSpec


@dataclass(slots=True)
class Team:
    """A team of a zone: declared by the zone, defined by a Team document."""

    zone: str
    name: str
    declared_at: Source | None = None
    source: Source | None = None
    description: str | None = None
    owners: tuple[str, ...] = ()
    builtin: bool = False


@dataclass(slots=True)
class Zone:
    """A governance zone: declared by the ecosystem, defined by a GovernanceZone document."""

    name: str
    declaration: ZoneDeclaration | None = None
    declared_at: Source | None = None
    spec: ZoneSpec | None = None
    source: Source | None = None
    description: str | None = None
    teams: dict[str, Team] = field(default_factory=dict)
    builtin: bool = False


@dataclass(slots=True)
class Datastore:
    """A datastore: ingested (from a Datastore document) or the output of a transformer."""

    name: str
    zone: str
    team: str
    body: StoreBody
    source: Source  # of the node holding productionStatus, datasets, ...
    path: str  # model path of that node, e.g. Datastore/Customers
    description: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    ingestion: Ingestion | None = None
    producer: str | None = None  # the transformer writing it
    builtin: bool = False
    datasets: dict[str, Dataset] = field(default_factory=dict)

    @property
    def production(self) -> bool:
        """Whether the datastore is in production."""
        return self.body.production_status is ProductionStatus.PRODUCTION

    def dataset_index(self, name: str) -> int:
        """The position of a dataset in the declaration, for pointing at it."""
        return next(i for i, d in enumerate(self.body.datasets) if d.name == name)


@dataclass(slots=True)
class Workspace:
    """A consumer's workspace."""

    name: str
    zone: str
    team: str
    spec: WorkspaceSpec
    source: Source  # of the document
    description: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    builtin: bool = False

    @property
    def path(self) -> str:
        """The model path of the workspace."""
        return f"Workspace/{self.name}"

    @property
    def production(self) -> bool:
        """Whether the workspace is in production."""
        return self.spec.production_status is ProductionStatus.PRODUCTION


@dataclass(slots=True)
class Transformer:
    """A data transformer: the code of a workspace writing an output datastore."""

    name: str
    workspace: str
    spec: TransformerSpec
    source: Source
    builtin: bool = False

    @property
    def path(self) -> str:
        """The model path of the transformer."""
        return f"Workspace/{self.workspace}/transformer"

    @property
    def output(self) -> str:
        """The name of the output datastore."""
        return self.spec.output.name


@dataclass(slots=True)
class Model:
    """A loaded ecosystem model and its problems."""

    ecosystem: EcosystemDocument | None = None
    ecosystem_source: Source | None = None
    zones: dict[str, Zone] = field(default_factory=dict)
    datastores: dict[str, Datastore] = field(default_factory=dict)
    workspaces: dict[str, Workspace] = field(default_factory=dict)
    transformers: dict[str, Transformer] = field(default_factory=dict)
    vendors: dict[str, Vendor] = field(default_factory=dict)
    locations: dict[str, Location] = field(default_factory=dict)  # by "Vendor:path/to/it"
    providers: dict[str, PlatformProvider] = field(default_factory=dict)
    data_platforms: dict[str, DataPlatform] = field(default_factory=dict)
    platform_providers: dict[str, str] = field(default_factory=dict)  # data platform -> provider
    classifications: frozenset[str] = frozenset()  # the vocabulary
    content_hash: str = ""  # sha256 of the files the model was read from
    problems: list[Problem] = field(default_factory=list)
    broken: set[tuple[str, str]] = field(default_factory=set)  # (kind, name) of invalid documents

    @property
    def name(self) -> str:
        """The ecosystem's name."""
        return self.ecosystem.metadata.name if self.ecosystem else ""

    def team(self, zone: str, team: str) -> Team | None:
        """A team by zone and name."""
        found = self.zones.get(zone)
        return found.teams.get(team) if found else None

    @property
    def errors(self) -> int:
        """How many errors the model has."""
        return sum(1 for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> int:
        """How many warnings the model has."""
        return sum(1 for p in self.problems if p.severity == "warning")
