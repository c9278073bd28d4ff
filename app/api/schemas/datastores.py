"""Answers about datastores and their datasets and columns."""

from __future__ import annotations

from pydantic import Field

from app.api.schemas.common import Body


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
