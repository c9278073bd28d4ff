"""The documents of a model file: the envelope of every kind, keyed by kind."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from app.ecosystem.spec.base import Metadata, OwnedMetadata, Spec, ZonedMetadata
from app.ecosystem.spec.datastore import DatastoreSpec
from app.ecosystem.spec.governance import EcosystemSpec, TeamSpec, ZoneSpec
from app.ecosystem.spec.workspace import WorkspaceSpec


class EcosystemDocument(Spec):
    """The Ecosystem document: one per model."""

    api_version: Literal["ecoplane.io/v1"] = Field(alias="apiVersion")
    kind: Literal["Ecosystem"]
    metadata: Metadata
    spec: EcosystemSpec = Field(default_factory=EcosystemSpec)


class GovernanceZoneDocument(Spec):
    """A GovernanceZone document."""

    api_version: Literal["ecoplane.io/v1"] = Field(alias="apiVersion")
    kind: Literal["GovernanceZone"]
    metadata: Metadata
    spec: ZoneSpec = Field(default_factory=ZoneSpec)


class TeamDocument(Spec):
    """A Team document."""

    api_version: Literal["ecoplane.io/v1"] = Field(alias="apiVersion")
    kind: Literal["Team"]
    metadata: ZonedMetadata
    spec: TeamSpec = Field(default_factory=TeamSpec)


class DatastoreDocument(Spec):
    """A Datastore document."""

    api_version: Literal["ecoplane.io/v1"] = Field(alias="apiVersion")
    kind: Literal["Datastore"]
    metadata: OwnedMetadata
    spec: DatastoreSpec


class WorkspaceDocument(Spec):
    """A Workspace document."""

    api_version: Literal["ecoplane.io/v1"] = Field(alias="apiVersion")
    kind: Literal["Workspace"]
    metadata: OwnedMetadata
    spec: WorkspaceSpec


Document = (
    EcosystemDocument
    | GovernanceZoneDocument
    | TeamDocument
    | DatastoreDocument
    | WorkspaceDocument
)
DOCUMENT_TYPES: dict[str, type[Spec]] = {
    "Ecosystem": EcosystemDocument,
    "GovernanceZone": GovernanceZoneDocument,
    "Team": TeamDocument,
    "Datastore": DatastoreDocument,
    "Workspace": WorkspaceDocument,
}
KINDS = tuple(DOCUMENT_TYPES)


def json_schema() -> dict[str, object]:
    """The JSON Schema of a model document (any kind), for editors."""
    union = Annotated[Document, Field(discriminator="kind")]
    schema: dict[str, object] = TypeAdapter(union).json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ecoplane model document (ecoplane.io/v1)"
    return schema
