"""The Datastore document: datasets, columns, ingestion and approvals."""

from __future__ import annotations

from collections.abc import Hashable
from enum import StrEnum
from typing import Any, cast

from pydantic import (
    Field,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from app.ecosystem.spec.base import ProductionStatus, Spec

SHARED_COLUMNS = "shared_columns"  # the validation context's table of equal columns
WRITTEN_COLUMNS = "written"  # in that table: the columns built, by written_key


def written_key(item: object) -> Hashable | None:
    """A column as written in YAML, as a key: equal keys have the same fields, the same value
    types and equal values, so they validate to equal columns; None when it cannot be a key."""
    if type(item) is not dict:
        return None
    key: tuple[object, ...] = (tuple(item.items()), tuple(map(type, item.values())))
    try:
        hash(key)
    except TypeError:  # a list value (classification); anything else is not kept
        parts = []
        for name, value in item.items():
            if type(value) is list:
                value = (list, tuple(value), tuple(map(type, value)))
            parts.append((name, type(value), value))
        key = tuple(parts)
        try:
            hash(key)
        except TypeError:
            return None
    return key


def column_key(column: Column) -> tuple[object, ...]:
    """What makes two columns equal: every field."""
    return (column.name, column.type, column.primary_key, column.nullable,
            tuple(column.classification), column.description)  # fmt: skip


class Column(Spec):
    """A column of a dataset."""

    name: str
    type: str
    primary_key: bool = False
    nullable: bool | None = None  # unset: primary-key columns are not null, others nullable
    classification: list[str] = Field(default_factory=list)
    description: str | None = None

    @property
    def is_nullable(self) -> bool:
        """Whether the column may hold nulls."""
        return not self.primary_key if self.nullable is None else self.nullable


class Dataset(Spec):
    """A table of a datastore."""

    name: str
    description: str | None = None
    classification: list[str] = Field(default_factory=list)
    deprecated: bool = False
    deprecation_reason: str | None = None
    columns: list[Column] = Field(default_factory=list)
    source_table: str | None = None  # ingestion reads this table; unset: the dataset's name

    @field_validator("columns", mode="wrap")
    @classmethod
    def _shared_columns(
        cls, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> list[Column]:
        """Equal columns share one object within a load (a frozen value: `id bigint` need not
        be held 30,000 times); the load passes its table as the validation context. A column
        written exactly as one already built (same keys, values and value types) is that
        column: it is not validated again."""
        shared = info.context.get(SHARED_COLUMNS) if isinstance(info.context, dict) else None
        if shared is None or type(value) is not list:
            return cast(list[Column], handler(value))
        written: dict[Hashable, Column] = shared.setdefault(WRITTEN_COLUMNS, {})
        known: list[Column] = []
        for item in value:
            try:  # written_key's first form, inline: most columns are scalars only
                column = written.get((tuple(item.items()), tuple(map(type, item.values()))))
            except (AttributeError, TypeError):
                column = written.get(written_key(item))
            if column is None:
                break
            known.append(column)
        else:
            return known
        columns = handler(value)  # raises with every problem's place, as for any field
        built = [shared.setdefault(column_key(column), column) for column in columns]
        for item, column in zip(value, built, strict=True):
            key = written_key(item)
            if key is not None:
                written[key] = column
        return built

    @property
    def table_at_source(self) -> str:
        """The table an ingestion reads this dataset from."""
        return self.source_table or self.name


class IngestionKind(StrEnum):
    SQL_SNAPSHOT = "sql-snapshot"
    SQL_WATERMARK = "sql-watermark"
    CDC = "cdc"
    KAFKA = "kafka"
    EXTERNAL = "external"


class Milestoning(StrEnum):
    """How a raw table keeps the source's rows: the current ones, or every version."""

    LIVE = "live"
    FORENSIC = "forensic"


class IngestionTrigger(Spec):
    """When a datastore is ingested: a cron schedule or an external signal."""

    cron: str | None = None
    external: bool | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> IngestionTrigger:
        if (self.cron is None) == (not self.external):
            raise ValueError("give exactly one of 'cron' or 'external: true'")
        return self


class Ingestion(Spec):
    """How the data of a datastore arrives."""

    kind: IngestionKind
    source: dict[str, str | int | bool] = Field(default_factory=dict)
    credential: str | None = None
    trigger: IngestionTrigger | None = None
    milestoning: Milestoning = Milestoning.LIVE
    watermark: str | None = None  # sql-watermark: the column whose growth marks new rows


# the kinds ecoplane runs (the others are declared and validated only)
RUNNABLE_KINDS = (IngestionKind.SQL_SNAPSHOT, IngestionKind.SQL_WATERMARK)


class Approval(Spec):
    """A workspace's dataset group allowed to sink a dataset of an approval-required store."""

    workspace: str
    dataset_group: str
    dataset: str


class StoreBody(Spec):
    """What every datastore has, whether ingested or written by a transformer."""

    production_status: ProductionStatus = ProductionStatus.NOT_PRODUCTION
    deprecated: bool = False
    deprecation_reason: str | None = None
    approval_required: bool = False
    approvals: list[Approval] = Field(default_factory=list)
    datasets: list[Dataset] = Field(default_factory=list)


class DatastoreSpec(StoreBody):
    """A producer's datastore, with how it is ingested."""

    ingestion: Ingestion | None = None
