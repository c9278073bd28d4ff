"""The ingest queue: requests to read a commit of the model repository, and how each went."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


class IngestState(StrEnum):
    """Where an ingest is: waiting, one of the three running steps, or how it ended."""

    QUEUED = "queued"
    FETCHING = "fetching"
    VALIDATING = "validating"
    STORING = "storing"
    ACTIVE = "active"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"
    FAILED = "failed"


RUNNING = (IngestState.FETCHING, IngestState.VALIDATING, IngestState.STORING)
FINISHED = (IngestState.ACTIVE, IngestState.REJECTED, IngestState.SUPERSEDED, IngestState.FAILED)
STATES = ", ".join(f"'{s.value}'" for s in IngestState)


class Ingest(SQLModel, table=True):
    """One request to ingest a commit: from a webhook, the poll, or an operator."""

    __tablename__ = "ingests"
    __table_args__ = (
        CheckConstraint(f"state IN ({STATES})", name="ingest_state_known"),
        CheckConstraint(
            "trigger IN ('github', 'gitlab', 'gitea', 'manual', 'poll')",
            name="ingest_trigger_known",
        ),
        Index(
            "ingests_one_per_delivery",
            "trigger",
            "delivery_id",
            unique=True,
            postgresql_where=text("delivery_id IS NOT NULL"),
        ),
        Index("ingests_waiting", "id", postgresql_where=text("state = 'queued'")),
        Index("ingests_commit_sha", "commit_sha"),
        Index("ingests_finished", "finished_at"),  # /metrics: the ingests that ended lately
        {"comment": "Requests to ingest a commit of the model repository, and their outcome."},
    )

    id: int | None = Field(
        default=None,
        sa_type=BigInteger,
        primary_key=True,
        sa_column_kwargs={"comment": "the ingest id"},
    )
    trigger: str = Field(
        sa_type=Text,
        sa_column_kwargs={"comment": "github, gitlab, gitea (webhooks), manual or poll"},
    )
    ref: str = Field(
        sa_type=Text, sa_column_kwargs={"comment": "the branch, tag or commit asked for"}
    )
    commit_sha: str | None = Field(
        default=None,
        sa_type=Text,
        sa_column_kwargs={"comment": "the commit read (known once fetched, or from the push)"},
    )
    delivery_id: str | None = Field(
        default=None,
        sa_type=Text,
        sa_column_kwargs={"comment": "the webhook delivery id: a redelivery creates nothing"},
    )
    requested_by: str | None = Field(
        default=None,
        sa_type=Text,
        sa_column_kwargs={"comment": "the token name, the pusher, or the poll"},
    )
    state: str = Field(
        sa_type=Text,
        sa_column_kwargs={
            "comment": "queued, fetching, validating, storing, active, rejected, superseded or failed"
        },
    )
    version_id: int | None = Field(
        default=None,
        sa_type=BigInteger,
        foreign_key="model_versions.id",
        ondelete="SET NULL",
        sa_column_kwargs={"comment": "the model version the commit was stored as"},
    )
    errors: int = Field(
        default=0, sa_column_kwargs={"comment": "validation errors", "server_default": text("0")}
    )
    warnings: int = Field(
        default=0, sa_column_kwargs={"comment": "validation warnings", "server_default": text("0")}
    )
    detail: str | None = Field(
        default=None,
        sa_type=Text,
        sa_column_kwargs={"comment": "why it failed, was superseded, or did nothing new"},
    )
    timings: dict[str, float] = Field(
        default_factory=dict,
        sa_type=JSONB,
        sa_column_kwargs={"comment": "seconds per phase", "server_default": text("'{}'")},
    )
    retry_of: int | None = Field(
        default=None,
        sa_type=BigInteger,
        sa_column_kwargs={"comment": "the interrupted ingest this one retries"},
    )
    superseded_by: int | None = Field(
        default=None,
        sa_type=BigInteger,
        sa_column_kwargs={"comment": "the ingest of a newer commit that replaced it"},
    )
    created_at: datetime = Field(
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now(), "comment": "when it was requested"},
    )
    started_at: datetime | None = Field(
        default=None,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"comment": "when the worker took it"},
    )
    finished_at: datetime | None = Field(
        default=None,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"comment": "when it reached its final state"},
    )
