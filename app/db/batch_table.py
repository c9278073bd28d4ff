"""Batches of data ingestion: one per ingestion run of a datastore, all-or-nothing."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Double, Index, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


class BatchState(StrEnum):
    """A batch is merging, or it committed, or it failed and left the warehouse as it was."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


STATES = ", ".join(f"'{s.value}'" for s in BatchState)


def _count(comment: str) -> Any:
    return Field(
        default=0,
        sa_type=BigInteger,
        sa_column_kwargs={"server_default": text("0"), "comment": comment},
    )


class Batch(SQLModel, table=True):
    """One batch of a datastore's ingestion: its number, counts, watermark and timings."""

    __tablename__ = "batches"
    __table_args__ = (
        CheckConstraint(f"state IN ({STATES})", name="batch_state_known"),
        Index("batch_number", "datastore", "number", unique=True),
        Index("batches_finished", "finished_at"),  # /metrics: the batches that ended lately
        {"comment": "Batches of data ingestion: one per ingestion run of a datastore."},
    )

    id: int | None = Field(
        default=None, sa_type=BigInteger, primary_key=True, sa_column_kwargs={"comment": "batch id"}
    )
    datastore: str = Field(sa_type=Text, sa_column_kwargs={"comment": "the datastore ingested"})
    number: int = Field(
        sa_type=BigInteger,
        sa_column_kwargs={"comment": "1, 2, ... per datastore; forensic rows carry it"},
    )
    run_id: int | None = Field(
        default=None,
        sa_type=BigInteger,
        foreign_key="runs.id",
        ondelete="SET NULL",
        sa_column_kwargs={"comment": "the ingestion run it belongs to"},
    )
    kind: str = Field(sa_type=Text, sa_column_kwargs={"comment": "sql-snapshot or sql-watermark"})
    milestoning: str = Field(sa_type=Text, sa_column_kwargs={"comment": "live or forensic"})
    state: str = Field(sa_type=Text, sa_column_kwargs={"comment": "running, succeeded or failed"})
    inserted: int = _count("rows inserted (new keys)")
    updated: int = _count("rows updated (a key whose values changed)")
    deleted: int = _count("rows deleted (a key gone from a snapshot)")
    unchanged: int = _count("rows read and found equal (not rewritten)")
    watermarks: dict[str, Any] | None = Field(
        default=None,
        sa_type=JSONB,
        sa_column_kwargs={"comment": "per dataset: the watermark reached (sql-watermark)"},
    )
    tables: dict[str, Any] | None = Field(
        default=None,
        sa_type=JSONB,
        sa_column_kwargs={"comment": "per dataset: its counts"},
    )
    read_seconds: float | None = Field(
        default=None,
        sa_type=Double,
        sa_column_kwargs={"comment": "time to stream the source into staging"},
    )
    merge_seconds: float | None = Field(
        default=None,
        sa_type=Double,
        sa_column_kwargs={"comment": "time to merge staging into the raw tables"},
    )
    reason: str | None = Field(
        default=None, sa_type=Text, sa_column_kwargs={"comment": "why it failed"}
    )
    started_at: datetime = Field(
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now(), "comment": "when it started"},
    )
    finished_at: datetime | None = Field(
        default=None,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"comment": "when it committed or failed"},
    )
