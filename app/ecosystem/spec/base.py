"""Shared pieces of the document types: the strict base model, metadata and enums."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

API_VERSION = "ecoplane.io/v1"


class Spec(BaseModel):
    """Base of every document part: camelCase fields, unknown fields are errors."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        use_enum_values=False,
    )


class ProductionStatus(StrEnum):
    PRODUCTION = "production"
    NOT_PRODUCTION = "not-production"


class Metadata(Spec):
    """Name, description and labels of a document."""

    name: str
    description: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)


class ZonedMetadata(Metadata):
    """Metadata of a document that lives in a governance zone."""

    zone: str


class OwnedMetadata(ZonedMetadata):
    """Metadata of a document owned by a team of a zone."""

    team: str
