"""Response bodies of the API (camelCase, like the model), documented in the OpenAPI schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class Body(BaseModel):
    """Base of every response body: camelCase names."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class ColumnOut(Body):
    """A column of a dataset."""

    name: str
    ordinal: int
    type: str = Field(examples=["varchar(255)"])
    nullable: bool
    primary_key: bool
    classification: list[str]
    description: str | None = None


class DatasetOut(Body):
    """A dataset with its columns."""

    name: str
    description: str | None = None
    classification: list[str]
    deprecated: bool
    deprecation_reason: str | None = None
    primary_key: list[str] | None = None
    columns: list[ColumnOut]


class DatastoreSummary(Body):
    """A datastore in a list."""

    name: str = Field(examples=["Customers"])
    zone: str
    team: str
    description: str | None = None
    production_status: str = Field(examples=["production"])
    deprecated: bool
    deprecation_reason: str | None = None
    ingestion_kind: str | None = Field(default=None, examples=["cdc"])
    trigger_kind: str | None = None
    trigger_cron: str | None = None
    approval_required: bool
    producer: str | None = Field(
        default=None, description="the transformer writing it; null if ingested"
    )
    labels: dict[str, str] = Field(default_factory=dict)
    builtin: bool
    datasets: int | None = Field(default=None, description="how many datasets it has")


class DatastoreOut(DatastoreSummary):
    """A datastore with its datasets and columns."""

    datasets: list[DatasetOut]  # type: ignore[assignment]


class DatastorePage(Body):
    """A page of datastores."""

    items: list[DatastoreSummary]
    next_cursor: str | None = Field(description="null on the last page")


class VersionBrief(Body):
    """The version an answer comes from."""

    id: int
    commit: str | None = None
    state: str
    activated_at: datetime | None = None


class EcosystemOut(Body):
    """The ecosystem, its version and the count of every entity."""

    name: str | None
    description: str | None = None
    classifications: list[str]
    version: VersionBrief
    counts: dict[str, int] = Field(examples=[{"datastores": 23, "workspaces": 12}])


class CommitOut(Body):
    """A commit recorded against a version."""

    commit_sha: str
    source: str
    recorded_at: datetime


class ModelVersionOut(Body):
    """A stored model version."""

    id: int
    state: str = Field(
        examples=["active"], description="loading, active, superseded, rejected or failed"
    )
    commit_sha: str | None = None
    source: str
    content_hash: str
    errors: int
    warnings: int
    counts: dict[str, Any]
    timings: dict[str, Any]
    failure: str | None = None
    created_at: datetime
    activated_at: datetime | None = None
    superseded_at: datetime | None = None
    commits: list[CommitOut] | None = None


class ModelVersionPage(Body):
    """A page of model versions, newest first."""

    items: list[ModelVersionOut]
    next_cursor: str | None = Field(description="null on the last page")


class ProblemOut(Body):
    """A validation problem."""

    ordinal: int | None = None
    severity: str = Field(examples=["error"])
    code: str = Field(examples=["sink-unknown-dataset"])
    message: str
    file: str
    line: int | None = None
    column: int | None = None
    path: str | None = None


class ProblemPage(Body):
    """A page of problems."""

    items: list[ProblemOut]
    next_cursor: str | None = Field(description="null on the last page")
