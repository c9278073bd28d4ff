"""The Ecosystem, GovernanceZone and Team documents."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from app.ecosystem.spec.base import Spec


class Cloud(StrEnum):
    AWS = "aws"
    AZURE = "azure"
    GCP = "gcp"
    IBM = "ibm"
    ORACLE = "oracle"
    ALIBABA = "alibaba"
    PRIVATE = "private"


class Retention(StrEnum):
    LIVE_ONLY = "live-only"
    FORENSIC = "forensic"


class Latency(StrEnum):
    SECONDS = "seconds"
    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"


LATENCY_ORDER = {Latency.SECONDS: 0, Latency.MINUTES: 1, Latency.HOURS: 2, Latency.DAYS: 3}


class Location(Spec):
    """A region, data centre or availability zone, possibly with nested locations."""

    name: str
    description: str | None = None
    locations: list[Location] = Field(default_factory=list)


class Vendor(Spec):
    """An infrastructure vendor and its locations."""

    name: str
    cloud: Cloud
    description: str | None = None
    locations: list[Location] = Field(default_factory=list)


class DataPlatform(Spec):
    """A data platform that realises the pipelines of dataset groups."""

    name: str
    retention: Retention
    latency: Latency = Latency.MINUTES
    description: str | None = None


class PlatformProvider(Spec):
    """A platform services provider and its data platforms."""

    name: str
    description: str | None = None
    data_platforms: list[DataPlatform] = Field(default_factory=list)


class ZoneDeclaration(Spec):
    """A governance zone declared by the ecosystem."""

    name: str
    owners: list[str] = Field(default_factory=list)
    description: str | None = None


class EcosystemSpec(Spec):
    """The vocabulary and the shared infrastructure of the whole model."""

    owners: list[str] = Field(default_factory=list)
    classifications: list[str] = Field(default_factory=list)
    vendors: list[Vendor] = Field(default_factory=list)
    platforms: list[PlatformProvider] = Field(default_factory=list)
    zones: list[ZoneDeclaration] = Field(default_factory=list)


class TeamDeclaration(Spec):
    """A team declared by a zone."""

    name: str
    owners: list[str] = Field(default_factory=list)
    description: str | None = None


class ConsumerPolicy(Spec):
    """What the workspaces of a zone may sink."""

    deny_classifications: list[str] = Field(default_factory=list)


class StoragePolicy(Spec):
    """Where the data of a zone may be stored: vendors and `Vendor:location/path` names."""

    vendors: list[str] = Field(default_factory=list)
    locations: list[str] = Field(default_factory=list)


class ZonePolicies(Spec):
    """The policies of a governance zone."""

    consumers: ConsumerPolicy = Field(default_factory=ConsumerPolicy)
    storage: StoragePolicy = Field(default_factory=StoragePolicy)


class ZoneSpec(Spec):
    """A governance zone: its teams and policies."""

    teams: list[TeamDeclaration] = Field(default_factory=list)
    policies: ZonePolicies = Field(default_factory=ZonePolicies)


class TeamSpec(Spec):
    """A team document; what it owns is declared by the datastores and workspaces naming it."""
