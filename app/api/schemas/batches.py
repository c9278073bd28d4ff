"""Response bodies of data ingestion batches (camelCase)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from app.api.schemas.common import Body


class BatchOut(Body):
    """One batch of a datastore's data ingestion: its number, counts, watermarks and timings."""

    id: int = Field(examples=[12])
    datastore: str = Field(examples=["Customers"])
    number: int = Field(examples=[3], description="1, 2, ... per datastore")
    run_id: int | None = Field(default=None, examples=[42], description="its ingestion run")
    kind: str = Field(examples=["sql-snapshot"], description="sql-snapshot or sql-watermark")
    milestoning: str = Field(examples=["live"], description="live or forensic")
    state: str = Field(examples=["succeeded"], description="running, succeeded or failed")
    inserted: int = Field(examples=[2], description="rows inserted (new keys)")
    updated: int = Field(examples=[1], description="rows updated (a key whose values changed)")
    deleted: int = Field(examples=[0], description="rows deleted (a key gone from a snapshot)")
    unchanged: int = Field(examples=[97], description="rows read and found equal")
    watermarks: dict[str, str] | None = Field(
        default=None, description="per dataset: the watermark reached (sql-watermark)"
    )
    tables: dict[str, dict[str, int]] | None = Field(
        default=None, description="per dataset: its counts"
    )
    read_seconds: float | None = Field(default=None, description="streaming into staging")
    merge_seconds: float | None = Field(default=None, description="merging into the raw tables")
    reason: str | None = Field(default=None, description="why it failed")
    started_at: datetime
    finished_at: datetime | None = None


class BatchPage(Body):
    """A page of a datastore's batches, newest first."""

    items: list[BatchOut]
    next_cursor: str | None = Field(description="null on the last page")
