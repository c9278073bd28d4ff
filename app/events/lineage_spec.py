"""What the OpenLineage spec fixes for ecoplane's events: schema URLs, the producer, a facet."""

from __future__ import annotations

from importlib import metadata
from typing import Any

SPEC = "https://openlineage.io/spec"
RUN_EVENT_SCHEMA = f"{SPEC}/2-0-2/OpenLineage.json#/$defs/RunEvent"
# the facets sent, with the version of their schema (those the OpenLineage Python client 1.54 knows)
FACET_SCHEMAS = {
    "jobType": f"{SPEC}/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet",
    "documentation": f"{SPEC}/facets/1-1-0/DocumentationJobFacet.json#/$defs/DocumentationJobFacet",
    "schema": f"{SPEC}/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
    "errorMessage": f"{SPEC}/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet",
    "nominalTime": f"{SPEC}/facets/1-0-1/NominalTimeRunFacet.json#/$defs/NominalTimeRunFacet",
}


def _version() -> str:
    try:
        return metadata.version("ecoplane")
    except metadata.PackageNotFoundError:  # run from a checkout that is not installed
        return "dev"


PRODUCER = f"https://ecoplane.io/ecoplane/{_version()}"  # the `producer` URI of every event


def facet(name: str, producer: str, **fields: Any) -> dict[str, Any]:
    """A facet of the spec: its fields, who produced it and the URL of its schema."""
    return {"_producer": producer, "_schemaURL": FACET_SCHEMAS[name], **fields}
