"""The tables of the control-plane database.

Model versions and their commits are SQLModel tables. The entity tables (`model_<name>`) are
built from `app.ecosystem.builtins.MODEL_TABLES`, the one description of the externalized
model that the builtin `ecoplane_model` datastore also uses: each is partitioned by
`version_id`, one partition per model version, attached when the version is complete.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.types import TypeEngine
from sqlmodel import Field, SQLModel

from app.ecosystem.model_tables import MODEL_TABLES

metadata = SQLModel.metadata
ENTITY_PREFIX = "model_"
VIEW_PREFIX = "current_"


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


def column_type(model_type: str) -> TypeEngine[Any]:
    """The Postgres type of a model-table column type."""
    types: dict[str, TypeEngine[Any]] = {
        "text": Text(),
        "boolean": Boolean(),
        "integer": Integer(),
        "json": JSONB(),
        "array<text>": ARRAY(Text()),
    }
    return types[model_type]


# what dashboards and the API filter by, besides the primary keys
FILTER_INDEXES: dict[str, list[tuple[str, ...]]] = {
    "datastores": [("zone", "team")],
    "workspaces": [("zone", "team")],
    "sinks": [("datastore", "dataset")],
    "transformers": [("workspace",), ("output_datastore",)],
    "problems": [("code",)],
}


def _entity_table(name: str) -> Table:
    table = MODEL_TABLES[name]
    columns = [Column("version_id", BigInteger, nullable=False, comment="the model version")]
    columns += [
        Column(c.name, column_type(c.type), nullable=c.nullable, comment=c.description)
        for c in table.columns
    ]
    key = ["version_id", *(c.name for c in table.columns if c.primary_key)]
    indexes = [
        Index(f"{ENTITY_PREFIX}{name}_by_{'_'.join(cols)}", "version_id", *cols)
        for cols in FILTER_INDEXES.get(name, [])
    ]
    return Table(
        f"{ENTITY_PREFIX}{name}",
        metadata,
        *columns,
        PrimaryKeyConstraint(*key, name=f"{ENTITY_PREFIX}{name}_pkey"),
        *indexes,
        comment=table.description,
        postgresql_partition_by="LIST (version_id)",
    )


ENTITY_TABLES: dict[str, Table] = {name: _entity_table(name) for name in MODEL_TABLES}
