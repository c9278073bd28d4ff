"""The bookkeeping tables of the control-plane database: model versions and their commits.

The model tables themselves (`model_<name>`, rows keyed by version) are defined by
`app.catalog.schema` on the same metadata.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Index,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

metadata = SQLModel.metadata


class VersionState(StrEnum):
    LOADING = "loading"
    ACTIVE = "active"
    SUPERSEDED = "superseded"
    REJECTED = "rejected"
    FAILED = "failed"


class ModelVersion(SQLModel, table=True):
    """One stored model: where it came from, its state, counts and timings."""

    __tablename__ = "model_versions"
    __table_args__ = (
        CheckConstraint(
            "state IN ('loading', 'active', 'superseded', 'rejected', 'failed')", name="state_known"
        ),
        Index(
            "one_active_version",
            text("(true)"),
            unique=True,
            postgresql_where=text("state = 'active'"),
        ),
        Index("model_versions_content_hash", "content_hash"),
        {"comment": "Every model version ecoplane has read: at most one is active."},
    )

    id: int | None = Field(
        default=None,
        sa_type=BigInteger,
        primary_key=True,
        sa_column_kwargs={"comment": "the version id"},
    )
    commit_sha: str | None = Field(
        sa_type=Text, default=None, sa_column_kwargs={"comment": "git commit it was read from"}
    )
    source: str = Field(
        sa_type=Text,
        sa_column_kwargs={"comment": "where it was read from (a directory or a repository)"},
    )
    content_hash: str = Field(
        sa_type=Text,
        sa_column_kwargs={"comment": "sha256 of the model files; equal content, equal hash"},
    )
    state: str = Field(
        sa_type=Text,
        sa_column_kwargs={"comment": "loading, active, superseded, rejected or failed"},
    )
    errors: int = Field(
        default=0, sa_column_kwargs={"comment": "validation errors", "server_default": text("0")}
    )
    warnings: int = Field(
        default=0, sa_column_kwargs={"comment": "validation warnings", "server_default": text("0")}
    )
    counts: dict[str, int] = Field(
        default_factory=dict,
        sa_type=JSONB,
        sa_column_kwargs={"comment": "rows per model table", "server_default": text("'{}'")},
    )
    timings: dict[str, float] = Field(
        default_factory=dict,
        sa_type=JSONB,
        sa_column_kwargs={"comment": "seconds per phase", "server_default": text("'{}'")},
    )
    failure: str | None = Field(
        sa_type=Text, default=None, sa_column_kwargs={"comment": "why a failed version failed"}
    )
    held_back: str | None = Field(
        sa_type=Text,
        default=None,
        sa_column_kwargs={
            "comment": "why a version without errors was not activated: its breaking changes,"
            " or a newer commit active"
        },
    )
    breaking_changes: list[dict[str, object]] | None = Field(
        default=None,
        sa_type=JSONB,
        sa_column_kwargs={
            "comment": "its breaking changes against the version active when it was stored"
        },
    )
    created_at: datetime = Field(
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now(), "comment": "when reading it began"},
    )
    activated_at: datetime | None = Field(
        default=None,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"comment": "when it became active"},
    )
    superseded_at: datetime | None = Field(
        default=None,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"comment": "when another version replaced it"},
    )


class ModelVersionCommit(SQLModel, table=True):
    """A commit whose model content is stored as a version (several commits may share one)."""

    __tablename__ = "model_version_commits"
    __table_args__ = ({"comment": "Commits recorded against the version holding their content."},)

    version_id: int = Field(
        sa_type=BigInteger,
        primary_key=True,
        foreign_key="model_versions.id",
        ondelete="CASCADE",
        sa_column_kwargs={"comment": "the version holding the content"},
    )
    commit_sha: str = Field(
        sa_type=Text, primary_key=True, sa_column_kwargs={"comment": "a commit with this content"}
    )
    source: str = Field(
        sa_type=Text, sa_column_kwargs={"comment": "where the commit was read from"}
    )
    recorded_at: datetime = Field(
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now(), "comment": "when it was read"},
    )


class ActivationKind(StrEnum):
    """How a version became active: by storing it, or on purpose."""

    AUTOMATIC = "automatic"  # an ingest or `ecoplane load` stored and activated it
    OVERRIDE = "override"  # a version held back for breaking changes, activated on purpose
    ROLLBACK = "rollback"  # an older version activated again on purpose


class ModelVersionActivation(SQLModel, table=True):
    """One activation of a model version: who, when, why, and which version it replaced."""

    __tablename__ = "model_version_activations"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('automatic', 'override', 'rollback')", name="activation_kind_known"
        ),
        Index("model_version_activations_by_version", "version_id"),
        {"comment": "Every activation of a model version, automatic or on purpose."},
    )

    id: int | None = Field(
        default=None,
        sa_type=BigInteger,
        primary_key=True,
        sa_column_kwargs={"comment": "the activation id"},
    )
    version_id: int = Field(
        sa_type=BigInteger,
        foreign_key="model_versions.id",
        ondelete="CASCADE",
        sa_column_kwargs={"comment": "the version activated"},
    )
    from_version_id: int | None = Field(
        default=None,
        sa_type=BigInteger,
        sa_column_kwargs={"comment": "the version active before (it may since be removed)"},
    )
    kind: str = Field(sa_type=Text, sa_column_kwargs={"comment": "automatic, override or rollback"})
    activated_by: str = Field(
        sa_type=Text,
        sa_column_kwargs={"comment": "the token's name, the ingest, or the command that did it"},
    )
    reason: str = Field(sa_type=Text, sa_column_kwargs={"comment": "why it was activated"})
    activated_at: datetime = Field(
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now(), "comment": "when it became active"},
    )


# the ingest queue, the runs and the security sync's audit share the metadata (imported here so
# every user of it sees them)
from app.db import (  # noqa: E402
    batch_table,
    check_table,
    event_tables,
    ingest_table,
    run_table,
    security_tables,
    token_table,
)

__all__ = [
    "ActivationKind",
    "ModelVersion",
    "ModelVersionActivation",
    "ModelVersionCommit",
    "VersionState",
    "batch_table",
    "check_table",
    "event_tables",
    "ingest_table",
    "metadata",
    "run_table",
    "security_tables",
    "token_table",
]
